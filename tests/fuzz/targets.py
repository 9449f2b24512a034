"""Every decoder as a fuzz target: bytes in, a value or one of its typed errors out.

A target's `run(data)` feeds the decoder as its callers do (an HTTP body, an uploaded file,
a QR payload). Any exception that is not one of `errors` is a crash; decoders that answer
with result codes (the ledger's JSON lines, the registry's chain check) have no errors.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from digisom.cbdc import qr
from digisom.compliance.errors import ComplianceError
from digisom.compliance.ftm import load_ftm
from digisom.compliance.ofac import load_ofac
from digisom.disbursement.pain001 import parse_pain001
from digisom.disbursement.parsing import parse_csv
from digisom.http.auth import TokenError, TokenVerifier
from digisom.interbank.iso20022.errors import Iso20022Error
from digisom.interbank.iso20022.inbound import parse_inbound
from digisom.kernel.ivms101 import Ivms101Invalid
from digisom.kernel.ivms101 import parse as parse_ivms101
from digisom.ledger.jsonio import parse_account_line, parse_transfer_line
from digisom.offline.errors import OfflineError
from digisom.offline.payment import decode_payment
from digisom.offline.sync_request import decode_sync_request
from digisom.por.csvin import parse_balances
from digisom.por.errors import PorError
from digisom.por.proof import from_binary
from digisom.registry.chain import verify_chain
from digisom.remittance.errors import RatesFileInvalid
from digisom.remittance.rates import parse_csv as parse_rates_csv
from digisom.remittance.rates import parse_json as parse_rates_json
from digisom.usdkg.errors import UsdkgError
from digisom.usdkg.weight_list import parse_count, parse_weight_list
from digisom.vasp_reports.csv_format import parse_csv as parse_vasp_csv
from digisom.vasp_reports.errors import VaspReportError
from digisom.vasp_reports.report import parse_report
from tests.fuzz.samples import OFAC_SEPARATOR, SERVER_KEY
from tests.fuzz.samples import tokens as fresh_tokens

CORPUS: Final = Path(__file__).parent / "corpus"
Errors = tuple[type[BaseException], ...]


@dataclass(frozen=True)
class Target:
    """One decoder: its name (and corpus folder), how to feed it bytes, what it may raise."""

    name: str
    # The decoder calls, each fed the same bytes and checked on its own.
    steps: tuple[Callable[[bytes], object], ...]
    errors: Errors
    # Byte strings worth splicing in for this format (the mutator's dictionary).
    tokens: tuple[bytes, ...] = ()
    corpus: str = ""
    # Seeds made when the run starts, for inputs that go stale in a file (a JWT expires an
    # hour after it is issued: the corpus keeps expired ones, which are worth fuzzing too).
    fresh: Callable[[], list[bytes]] = list

    def seeds(self) -> list[bytes]:
        folder = CORPUS / (self.corpus or self.name)
        return [*(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()), *self.fresh()]


@dataclass
class _Files:
    """A scratch folder for the decoders that read a path (the list loaders)."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="digisom-fuzz-")))

    def write(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path


def _text(data: bytes) -> str:
    # Text decoders get what an HTTP layer hands them: the body decoded, bad bytes replaced.
    return data.decode("utf-8", errors="replace")


def _json(data: bytes) -> object:
    """The body as the API's JSON parser would give it; a non-JSON body never reaches the decoder."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _ledger_lines(data: bytes) -> None:
    for line in data.splitlines() or [b""]:
        account = parse_account_line(line)
        transfer = parse_transfer_line(line)
        assert account is not None and transfer is not None


def _ftm(files: _Files) -> Callable[[bytes], object]:
    return lambda data: load_ftm(files.write("list.ftm.json", data))


def _ofac(files: _Files) -> Callable[[bytes], object]:
    def run(data: bytes) -> object:
        parts = data.split(OFAC_SEPARATOR, 2)
        for name, part in zip(("alt.csv", "add.csv"), parts[1:] + [b""] * 2, strict=False):
            files.write(name, part)
        return load_ofac(files.write("sdn.csv", parts[0]))

    return run


def _jwt(data: bytes) -> object:
    return TokenVerifier(SERVER_KEY.public_key()).actor(_text(data))


def _proof(data: bytes) -> object:
    return from_binary(data, {"asset": "KGST", "root": "00" * 32, "total": 1})


def _registry(data: bytes) -> object:
    # As `digisom register verify` reads an export: a JSON document with an "events" array.
    document = _json(data)
    events: Any = document.get("events", []) if isinstance(document, dict) else document
    problems = verify_chain(events, SERVER_KEY.public_key().public_bytes_raw())
    assert all(isinstance(p, str) for p in problems)
    return problems


def _weight_list(data: bytes) -> object:
    bars, problems = parse_weight_list(data, {"Kyrgyzaltyn"})
    problems.raise_if_any()
    return bars


XML: Final = (b"<", b"</", b">", b"/>", b'="', b"&amp;", b"&#0;", b"<![CDATA[", b"<!DOCTYPE d [<!ENTITY a 'x'>]>",
              b"<?xml version='1.0'?>", b"xmlns=", b"Ccy=\"KGS\"", b"-1", b"0.001", b"99999999999999999999.99",
              b"2026-02-30", b"9999-12-31T23:59:59Z", b"\xff", b"\x00")
CSV: Final = (b",", b'"', b'""', b"\n", b"\r\n", b"\r", b"\xef\xbb\xbf", b"-1", b"1e9", b"0.001", b"1,5",
              b"18446744073709551616", b"\x00", b"\xff", b"NaN", b" ")
JSON: Final = (b"{", b"}", b"[", b"]", b'"', b":", b",", b"null", b"true", b"1e309", b"-0", b"NaN",
               b"340282366920938463463374607431768211456", b"\\u0000", b"\\ud800", b"[" * 50)
CBOR: Final = (b"\x00", b"\x18\x18", b"\x19\x01\x00", b"\x1b" + b"\xff" * 8, b"\x40", b"\x58\x20", b"\x5f", b"\x80",
               b"\x9f", b"\xa0", b"\xbf", b"\xc0", b"\xd8\x18", b"\xf4", b"\xf6", b"\xf7", b"\xf9\x7e\x00", b"\xff")
QR: Final = (b"00", b"02", b"99", b"6304", b"5303417", b"5802KG", b"54", b"3228", b"\xd0\x96", b"\x7f")
JWT: Final = (b".", b"eyJhbGciOiJub25lIn0", b"eyJhbGciOiJIUzI1NiJ9", b"==", b"-", b"_", b"e30", b"bnVsbA")


def all_targets() -> list[Target]:
    files = _Files()
    return [
        Target("iso20022", (parse_inbound,), (Iso20022Error,), XML),
        Target("pain001", (parse_pain001,), (), XML),
        Target("csv_upload", (parse_csv,), (), CSV),
        Target("emv_qr", (lambda data: qr.decode(_text(data)),), (qr.QrError,), QR),
        Target("offline_payment", (decode_payment,), (OfflineError,), CBOR),
        Target("offline_sync", (decode_sync_request,), (OfflineError,), CBOR),
        Target("ledger_jsonl", (_ledger_lines,), (), JSON),
        Target("jwt", (_jwt,), (TokenError,), JWT, fresh=lambda: [t.encode() for t in fresh_tokens().values()]),
        Target("ivms101", (lambda data: parse_ivms101(_json(data)),), (Ivms101Invalid,), JSON),
        Target("ftm", (_ftm(files),), (ComplianceError,), JSON),
        Target("ofac", (_ofac(files),), (ComplianceError,), (*CSV, OFAC_SEPARATOR)),
        Target("vasp_reports", (parse_vasp_csv, lambda data: parse_report(_json(data))), (VaspReportError,),
               CSV + JSON),
        Target("por", (parse_balances, _proof), (PorError,), CSV),
        Target("registry_export", (_registry,), (), JSON),
        Target("usdkg", (_weight_list, parse_count), (UsdkgError,), CSV),
        Target("rates", (lambda data: parse_rates_csv(_text(data)), lambda data: parse_rates_json(_text(data))),
               (RatesFileInvalid,), CSV + JSON),
    ]

