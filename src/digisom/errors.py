"""Errors shared by every layer, and the `invariant()` helper.

Two error channels (DESIGN.md): an operating error is a value returned to the caller
(a result code, a typed exception at a boundary); a broken invariant is a programmer
error that stops the process. `invariant()` is never stripped by `python -O`.
"""

from __future__ import annotations


class DigisomError(Exception):
    """Base of every typed error raised at a boundary (bad input, refused conversion)."""


class InvariantViolation(BaseException):
    """A broken invariant: a programmer error. Derives from BaseException on purpose,
    so that a broad `except Exception` in a request handler cannot swallow it."""


def invariant(condition: bool, message: str) -> None:
    """Stop with `InvariantViolation` when `condition` is false."""
    if not condition:
        raise InvariantViolation(message)
