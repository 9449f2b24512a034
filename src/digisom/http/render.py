"""Shared pieces of the route modules: JSON rendering, amounts, and the problem
responses every route documents."""

from __future__ import annotations

from typing import Final

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from digisom.http.problems import problem_responses

# Every route may answer these; POST routes add 409 and 413 (see `WRITE_PROBLEMS`).
READ_PROBLEMS: Final = problem_responses(401, 403, 404, 422, 503)
WRITE_PROBLEMS: Final = problem_responses(401, 403, 404, 409, 413, 422, 503)


def json(model: BaseModel, status: int = 200) -> JSONResponse:
    """A JSON response of `model`."""
    return JSONResponse(model.model_dump(mode="json"), status_code=status)


def amount(text: str) -> int:
    """An amount already checked by its pattern (integer tyiyn) as an int."""
    return int(text)


def optional_amount(text: str | None) -> int | None:
    """`amount` for optional fields."""
    return None if text is None else int(text)

