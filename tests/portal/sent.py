"""A response as the server sent it: `content` still compressed (httpx would decode it)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi.testclient import TestClient


@dataclass(frozen=True)
class Sent:
    status_code: int
    headers: httpx.Headers
    content: bytes


def sent(client: TestClient, path: str, headers: dict[str, str]) -> Sent:
    """GET `path` and keep the body's bytes undecoded."""
    with client.stream("GET", path, headers=headers) as response:
        return Sent(response.status_code, response.headers, b"".join(response.iter_raw()))
