"""How a route finds what the composition root wired: a typed slot on the app's state.

A domain's `http` package declares a `Slot` for each thing its routes need (its service,
a port another domain fills); `digisom.api` fills the slots when it builds the app, so
routes never import another domain or the wiring."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from fastapi import FastAPI, Request

T = TypeVar("T")


class Slot(Generic[T]):
    """A named place on the app's state for one wired object of type `T`."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"


def _slots(app: FastAPI) -> dict[str, Any]:
    if not hasattr(app.state, "slots"):
        app.state.slots = {}
    found: dict[str, Any] = app.state.slots
    return found


def provide(app: FastAPI, slot: Slot[T], value: T) -> None:
    """Fill `slot` on `app` (the composition root does, once per slot)."""
    slots = _slots(app)
    if slot.name in slots:
        raise ValueError(f"{slot!r} is already filled")
    slots[slot.name] = value


def provided(request: Request, slot: Slot[T]) -> T:
    """What the composition root put in `slot` of the request's app; a `LookupError` (a
    wiring bug) if nothing."""
    return filled(request.app, slot)


def filled(app: FastAPI, slot: Slot[T]) -> T:
    """What the composition root put in `slot` of `app` (entry points and tests read it)."""
    slots = _slots(app)
    if slot.name not in slots:
        raise LookupError(f"{slot!r} was not wired")
    return cast(T, slots[slot.name])


class Lazy(Generic[T]):
    """A wired object built on its first use (once, whichever thread asks first) and
    closed at shutdown if it was built: for parts a process may never need."""

    def __init__(self, build: Callable[[], tuple[T, Callable[[], None]]]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._built: tuple[T, Callable[[], None]] | None = None

    def get(self) -> T:
        """The object, built now if this is the first use."""
        with self._lock:
            if self._built is None:
                self._built = self._build()
            return self._built[0]

    def close(self) -> None:
        """Close what was built (nothing if it never was)."""
        with self._lock:
            built, self._built = self._built, None
        if built is not None:
            built[1]()
