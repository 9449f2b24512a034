"""A browser's view of the console for tests: its own cookie jar, forms posted from the
console's origin with the CSRF token the last page carried."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from digisom.api.runtime import Runtime
from digisom.console.web import CSRF_FIELD

CSRF_INPUT = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')


@dataclass
class Browser:
    """One operator's browser (no redirects followed: tests look at each answer)."""

    client: TestClient
    origin: str = "http://testserver"
    csrf_token: str = field(default="")

    @classmethod
    def open(cls, runtime: Runtime, base_url: str = "http://testserver") -> Browser:
        # English unless a test chooses (the console's default is Kyrgyz): tests read English text.
        return cls(TestClient(runtime.app, base_url=base_url, follow_redirects=False,
                              headers={"Accept-Language": "en"}), origin=base_url)

    @classmethod
    def signed_in(cls, runtime: Runtime, token: str, page: str = "/console") -> Browser:
        """A browser signed in with `token` that has loaded `page` (its forms' CSRF token)."""
        browser = cls.open(runtime)
        browser.sign_in(token)
        browser.get(page)
        return browser

    def get(self, path: str, **params: Any) -> Response:
        response = self.client.get(path, params=params or None)
        found = CSRF_INPUT.search(response.text)
        if found:
            self.csrf_token = found.group(1)
        return response

    def post(self, path: str, data: dict[str, str] | None = None, files: Any = None, csrf: bool = True,
             headers: dict[str, str] | None = None) -> Response:
        form = dict(data or {})
        if csrf:
            form[CSRF_FIELD] = self.csrf_token
        sent = {"Origin": self.origin, **(headers or {})}
        return self.client.post(path, data=form, files=files, headers=sent)

    def sign_in(self, token: str) -> Response:
        response = self.post("/console/sign-in", {"token": token}, csrf=False)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/console"
        self.get("/console")
        return response
