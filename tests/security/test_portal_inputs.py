"""The public portal's inputs under attack (issue 19, "Bad input"): an unknown or hostile
language, page numbers out of range, record ids that are not ids, oversized queries and
forms. Each is a clear page in the visitor's language (400 or 404) or the API's own
refusal, never a stack trace or a 500, nothing reflected unescaped, and nothing changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from digisom.api.runtime import build
from tests.api.world import World

HOSTILE = '"><script>alert(1)</script>'


def _snapshot(world: World) -> tuple[object, ...]:
    summary = world.runtime.service.issuance_summary()
    return summary.circulation_tyiyn, summary.issuance_liability_tyiyn, world.runtime.service.journal(0, 1000).items


def _refused_as_a_page(response: object, status: int, lang: str) -> None:
    assert response.status_code == status, response.text[:300]  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    assert response.headers["content-language"] == lang  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert "Traceback" not in text and "<script>" not in text


@pytest.fixture(scope="module")
def portal_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One runtime for the module: every probe here is a read or is refused (and
    `test_proof_forms...` checks that nothing changed)."""
    runtime = build(data_dir=tmp_path_factory.mktemp("portal-probes") / "data")
    yield World.create(runtime).setup()
    runtime.close()


@pytest.fixture(scope="module")
def client(portal_world: World) -> TestClient:
    return TestClient(portal_world.runtime.app, raise_server_exceptions=False)


@pytest.mark.parametrize("lang", ["xx", "KY", "ky-KG", "", " ky", "ky\x00", HOSTILE, "e" * 5000])
def test_a_language_we_do_not_have_is_a_400_page(client: TestClient, lang: str) -> None:
    response = client.get("/", params={"lang": lang}, headers={"Accept-Language": "ru"})
    _refused_as_a_page(response, 400, "ru")  # an empty ?lang= names no language either


def test_two_languages_at_once_are_refused(client: TestClient) -> None:
    _refused_as_a_page(client.get("/kgst?lang=ky&lang=ru"), 400, "ky")


@pytest.mark.parametrize("header", ["*", "ru;q=abc, en", "ru;q=1.5", "ru;q=-1, en;q=0.1", ";;;,,,", "x" * 10_000,
                                    ",".join(["ru;q=0.001"] * 500)])
def test_a_strange_accept_language_falls_back_quietly(client: TestClient, header: str) -> None:
    response = client.get("/", headers={"Accept-Language": header})
    assert response.status_code == 200
    assert response.headers["content-language"] in ("ky", "ru", "en")


@pytest.mark.parametrize("page", ["0", "-1", "1.5", "1e3", "abc", "9" * 40, "１", HOSTILE])
@pytest.mark.parametrize("path", ["/spending", "/usdkg"])
def test_a_page_number_out_of_range_is_a_400_page(client: TestClient, path: str, page: str) -> None:
    _refused_as_a_page(client.get(path, params={"page": page, "lang": "en"}), 400, "en")


@pytest.mark.parametrize("path", ["/spending", "/usdkg"])
def test_a_page_past_the_end_is_a_404_page(client: TestClient, path: str) -> None:
    _refused_as_a_page(client.get(path, params={"page": "100000", "lang": "ky"}), 404, "ky")


@pytest.mark.parametrize("query", [{"programme": HOSTILE}, {"programme": "A" * 65}, {"period": "2026-13"},
                                   {"period": "2026-1"}, {"programme": "pensions\n"}])
def test_spending_filters_that_are_not_codes_are_refused(client: TestClient, query: dict[str, str]) -> None:
    _refused_as_a_page(client.get("/spending", params={**query, "lang": "ru"}), 400, "ru")


# The log's ids are at most 200 characters (`transparency.records.RECORD_ID_PATTERN`).
@pytest.mark.parametrize("record_id", ["../etc/passwd", HOSTILE, "x" * 201, "id with space", "ид"])
def test_a_record_id_that_is_not_an_id_is_refused(client: TestClient, record_id: str) -> None:
    _refused_as_a_page(client.get("/records", params={"id": record_id, "lang": "en"}), 400, "en")


def test_an_oversized_query_is_refused_whole(client: TestClient) -> None:
    _refused_as_a_page(client.get("/?lang=en&" + "a=1&" * 2000), 400, "en")
    _refused_as_a_page(client.get("/records", params={"lang": "en", "id": "1", "pad": "x" * 2000}), 400, "en")


def test_proof_forms_that_are_too_big_or_not_forms_change_nothing(client: TestClient, portal_world: World) -> None:
    before = _snapshot(portal_world)
    huge = client.post("/por", content=b"proof=" + b"%7B" * 20_000,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert huge.status_code == 413  # the API's body limit, before the form is read
    not_a_form = client.post("/por?lang=en", content=b'{"root": "00"}', headers={"Content-Type": "application/json"})
    _refused_as_a_page(not_a_form, 400, "en")
    bad_utf8 = client.post("/por?lang=ru", content=b"proof=\xff\xfe", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    _refused_as_a_page(bad_utf8, 400, "ru")
    many_fields = client.post("/por?lang=en", content=b"&".join(b"f%d=1" % i for i in range(50)), headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    _refused_as_a_page(many_fields, 400, "en")
    deep = client.post("/por?lang=en", data={"proof": "[" * 3000})  # deeper than the JSON parser recurses
    _refused_as_a_page(deep, 400, "en")
    twice = client.post("/por?lang=en", content=b"proof=%7B%7D&proof=%7B%7D", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    _refused_as_a_page(twice, 400, "en")
    assert _snapshot(portal_world) == before


def test_a_forged_token_on_a_public_page_is_a_401_not_a_500(client: TestClient) -> None:
    response = client.get("/", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401


def test_portal_pages_reflect_no_input_unescaped(client: TestClient) -> None:
    page = client.get("/spending", params={"lang": "en", "programme": "pensions", "period": "2026-03"}).text
    assert 'value="pensions"' in page
    assert client.get("/records", params={"lang": "en", "id": HOSTILE}).status_code == 400
