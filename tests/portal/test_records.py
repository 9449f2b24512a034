"""The record lookup page over the `RecordLog` port: RFC 9162 inclusion proofs checked by
the page itself (with the transparency package's verifier; the tree here is built from the
RFC's definitions, independently of it), an unknown id a 404 page."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient

from digisom.api.runtime import Runtime
from digisom.http.services import provide
from digisom.portal import routes
from digisom.portal.records import RECORD_LOG, PublishedRecord, RecentPage, inclusion_verifies
from digisom.portal.render import PORTAL, Portal
from digisom.transparency.sth import public_key_raw, sign


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1, written from the text: the Merkle tree hash."""
    if len(leaves) == 1:
        return _leaf(leaves[0])
    k = 1 << (len(leaves) - 1).bit_length() - 1
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 2.1.3.1: the inclusion proof of leaf `m`."""
    if len(leaves) == 1:
        return []
    k = 1 << (len(leaves) - 1).bit_length() - 1
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


KEY = Ed25519PrivateKey.generate()


def _records(size: int) -> list[PublishedRecord]:
    leaves = [f'{{"kind":"issuance.report","n":{i}}}'.encode() for i in range(size)]
    head = sign(KEY, size, _mth(leaves), 1_767_225_600_000)
    return [PublishedRecord(str(i), "issuance.report", "2026-03-01T00:00:00Z", leaf, i, head, _path(i, leaves),
                            public_key_raw(KEY), None) for i, leaf in enumerate(leaves)]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13])
def test_every_leafs_proof_verifies_and_a_changed_one_does_not(size: int) -> None:
    for record in _records(size):
        assert inclusion_verifies(record)
        assert not inclusion_verifies(replace(record, leaf=record.leaf + b" "))
        assert not inclusion_verifies(replace(record, leaf_index=(record.leaf_index + 1) % size)) or size == 1
        assert not inclusion_verifies(replace(record, head=replace(record.head, tree_size=record.leaf_index)))
        assert not inclusion_verifies(replace(record, audit_path=[*record.audit_path, bytes(32)]))
        if record.audit_path:
            assert not inclusion_verifies(replace(record, audit_path=list(record.audit_path)[:-1]))


class _Log:
    def __init__(self, records: list[PublishedRecord]) -> None:
        self.by_id = {r.record_id: r for r in records}

    def record(self, record_id: str) -> PublishedRecord | None:
        return self.by_id.get(record_id)

    def recent(self, page: int, page_size: int) -> RecentPage:
        return RecentPage([], len(self.by_id), False)


@pytest.fixture
def log_client(seeded: Runtime) -> TestClient:
    app = FastAPI()
    app.state.verifier = seeded.app.state.verifier
    records = _records(6)
    records[4] = replace(records[4], leaf=b'{"kind":"issuance.report","n":"tampered"}')
    provide(app, PORTAL, Portal.build())
    provide(app, RECORD_LOG, _Log(records))
    app.include_router(routes.router())
    return TestClient(app)


def test_a_published_record_is_shown_with_its_proof(log_client: TestClient) -> None:
    page = log_client.get("/records", params={"id": "3", "lang": "en"})
    assert page.status_code == 200
    assert "The proof checks: this record is in the log." in page.text
    assert "4 of 6" in page.text
    tampered = log_client.get("/records", params={"id": "4", "lang": "ru"})
    assert "Запись не проходит проверку" in tampered.text


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_an_unknown_record_is_a_404_page_in_the_users_language(log_client: TestClient, lang: str) -> None:
    response = log_client.get("/records", params={"id": "999", "lang": lang})
    assert response.status_code == 404
    assert response.headers["content-language"] == lang
