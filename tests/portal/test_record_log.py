"""The record pages on the real transparency log (wired by the composition root): a
record the checkpoint logged, looked up in each language with its proof, signature and
anchor checked on the server; the list of recent records, paged; an unknown id and a page
past the end as 404 pages; a row altered in the database shown as not verifying."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from digisom.api.records_wiring import LogRecords
from digisom.api.runtime import Runtime
from digisom.api.transparency_wiring import CHECKPOINT
from digisom.http.services import filled
from digisom.portal.i18n import LANGUAGES
from digisom.portal.records import RECENT_PAGE_SIZE
from digisom.transparency.http.slots import TRANSPARENCY_LOG
from digisom.transparency.log import Anchor
from digisom.transparency.sth import TreeHead, sth_hash
from tests.portal.text import latin_words

RECORD_LINK = re.compile(r'href="/records\?lang=en&amp;id=([^"]+)"')
VERIFIES = {"en": "The proof checks: this record is in the log.", "ru": "Доказательство сходится",
            "ky": "Далил текшерилди"}
DOES_NOT = {"en": "This record does not verify", "ru": "Запись не проходит проверку",
            "ky": "Бул жазуу текшерүүдөн өтпөйт"}


@pytest.fixture(scope="module")
def head(seeded: Runtime) -> TreeHead:
    """The seeded world's public records, logged and signed."""
    signed: TreeHead = filled(seeded.app, CHECKPOINT)()
    assert signed.tree_size > 5
    return signed


def _ids(client: TestClient, page: int = 1) -> list[str]:
    listing = client.get("/records", params={"lang": "en", "page": str(page)})
    assert listing.status_code == 200
    return [unquote(found) for found in RECORD_LINK.findall(listing.text)]


@contextmanager
def _edited(seeded: Runtime, sql: str, restore: str, **values: object) -> Iterator[None]:
    """A row of the log changed in the database, as a script with a login would; put back after."""
    engine = filled(seeded.app, TRANSPARENCY_LOG).engine
    with engine.begin() as conn:
        conn.execute(text(sql), values)
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text(restore), values)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_logged_record_is_shown_verified_in_each_language(client: TestClient, head: TreeHead, lang: str) -> None:
    record_id = _ids(client)[0]
    page = client.get("/records", params={"lang": lang, "id": record_id})
    assert page.status_code == 200
    assert page.headers["content-language"] == lang
    assert VERIFIES[lang] in page.text
    assert head.root_hash.hex() in page.text  # proved against the newest signed head
    if lang != "en":
        assert latin_words(page.text, lang) == set()
    else:
        assert "not anchored yet" in page.text


def test_the_recent_records_are_paged_newest_first_and_past_the_end_is_404(client: TestClient,
                                                                          head: TreeHead) -> None:
    log = filled(client.app, TRANSPARENCY_LOG)  # type: ignore[arg-type]
    newest_first = [e.record_id for e in reversed(log.entries(0, head.tree_size))]
    assert _ids(client) == newest_first[:RECENT_PAGE_SIZE]
    pages = [LogRecords(log).recent(page, 5) for page in range(1, 5)]
    assert [i.record_id for p in pages for i in p.items] == newest_first
    assert [p.has_next for p in pages if p.items] == [True] * (len(newest_first) // 5) + [False]
    last_page = (head.tree_size + RECENT_PAGE_SIZE - 1) // RECENT_PAGE_SIZE
    for lang in LANGUAGES:
        past = client.get("/records", params={"lang": lang, "page": str(last_page + 1)})
        assert past.status_code == 404
        assert past.headers["content-language"] == lang
        assert "Traceback" not in past.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_unknown_record_is_a_404_page(client: TestClient, head: TreeHead, lang: str) -> None:
    response = client.get("/records", params={"lang": lang, "id": "issuance_report:no-such-record"})
    assert response.status_code == 404
    assert response.headers["content-language"] == lang


@pytest.mark.parametrize("forge", [
    lambda entry: entry.replace('"kind"', '"kinds"', 1),  # still JSON, another record
    lambda _entry: "not json at all",
])
def test_an_altered_entry_does_not_verify(seeded: Runtime, client: TestClient, head: TreeHead,
                                          forge: Callable[[str], str]) -> None:
    record_id = _ids(client)[1]
    log = filled(seeded.app, TRANSPARENCY_LOG)
    original = log.inclusion(record_id).entry.entry.decode()
    with _edited(seeded, "UPDATE transparency_entries SET entry = :forged WHERE record_id = :id",
                 "UPDATE transparency_entries SET entry = :original WHERE record_id = :id",
                 forged=forge(original), original=original, id=record_id):
        for lang in LANGUAGES:
            page = client.get("/records", params={"lang": lang, "id": record_id})
            assert page.status_code == 200, page.text[:300]
            assert DOES_NOT[lang] in page.text
            assert VERIFIES[lang] not in page.text
    assert VERIFIES["en"] in client.get("/records", params={"lang": "en", "id": record_id}).text


def test_a_forged_signature_and_a_wrong_anchor_do_not_verify(seeded: Runtime, client: TestClient,
                                                             head: TreeHead) -> None:
    record_id = _ids(client)[0]
    forged = bytes(64).hex()
    with _edited(seeded, "UPDATE transparency_tree_heads SET signature = :forged WHERE tree_size = :size",
                 "UPDATE transparency_tree_heads SET signature = :original WHERE tree_size = :size",
                 forged=forged, original=head.signature.hex(), size=head.tree_size):
        assert DOES_NOT["en"] in client.get("/records", params={"lang": "en", "id": record_id}).text
    log = filled(seeded.app, TRANSPARENCY_LOG)
    log.record_anchor(Anchor(head.tree_size, sth_hash(head), 31337, "0x" + "ab" * 32, b"\x02", 7))
    try:
        anchored = client.get("/records", params={"lang": "en", "id": record_id}).text
        assert VERIFIES["en"] in anchored and "0x" + "ab" * 32 in anchored and "not anchored yet" not in anchored
        with _edited(seeded, "UPDATE transparency_anchors SET sth_hash = :forged WHERE tree_size = :size",
                     "UPDATE transparency_anchors SET sth_hash = :original WHERE tree_size = :size",
                     forged="00" * 32, original=sth_hash(head).hex(), size=head.tree_size):
            assert DOES_NOT["en"] in client.get("/records", params={"lang": "en", "id": record_id}).text
    finally:
        with log.engine.begin() as conn:
            conn.execute(text("DELETE FROM transparency_anchors WHERE tree_size = :size"), {"size": head.tree_size})
