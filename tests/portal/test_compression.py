"""The portal's pages and static files are gzip-compressed for a browser that accepts it
(the API's answers and the console's pages never are: tests/console/test_compression.py)."""

from __future__ import annotations

import gzip

import pytest
from fastapi.testclient import TestClient

from digisom.portal.routes import PAGES
from tests.portal.sent import sent


@pytest.mark.parametrize("path", [*PAGES, "/static/portal.css"])
def test_a_public_page_is_compressed_for_a_browser_that_accepts_gzip(client: TestClient, path: str) -> None:
    plain = client.get(path, params={"lang": "ru"})
    compressed = sent(client, f"{path}?lang=ru", {"Accept-Encoding": "gzip"})
    assert compressed.status_code == 200, path
    assert compressed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert len(compressed.content) < len(plain.content) / 2
    assert "content-encoding" not in sent(client, f"{path}?lang=ru", {"Accept-Encoding": "identity"}).headers
