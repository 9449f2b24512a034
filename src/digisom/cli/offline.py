"""`digisom offline register|fund|pay|receive|sync`: simulated devices on the command line;
`digisom offline parked|retry`: the operator's view of runs whose posting was refused.

Each device is a file in `--data DIR/offline-devices/NAME.json` (its key and state), and
the server side runs on the same database as `digisom serve --data DIR` and the demo
(`DIR/digisom.db`, or `--db`). A payment travels as a small JSON file (payment and the
payer's certificate, hex) or its QR code; `receive` verifies it offline.

    digisom offline register --data d --device pensioner --wallet w...   # as the wallet's bank
    digisom offline fund     --data d --device pensioner --amount 300000
    digisom offline pay      --data d --device pensioner --to shop --amount 45000
    digisom offline receive  --data d --device shop --payment d/offline-payments/<hash>.json
    digisom offline sync     --data d --device shop
    digisom offline parked   --data d                  # runs set aside, with their reasons
    digisom offline retry    --data d --run 7          # once the cause is fixed (idempotent)
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Final

import typer

from digisom.api.offline_wiring import build_offline
from digisom.api.runtime import build
from digisom.offline.certificates import TrustStore
from digisom.offline.device import Device
from digisom.offline.device_file import decode_device, encode_device
from digisom.offline.device_sync import sync_device
from digisom.offline.errors import OfflineError
from digisom.offline.keys import SoftwareSigner
from digisom.offline.payment import decode_payment
from digisom.offline.qr import qr_png, qr_version
from digisom.offline.service import OfflineService, ParkedRun

offline_app = typer.Typer(help="Simulated offline devices: register, fund, pay, receive, sync; parked runs.",
                          no_args_is_help=True)

DEVICES_FOLDER: Final = "offline-devices"
PAYMENTS_FOLDER: Final = "offline-payments"
NAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
# A payment file holds a payment and a certificate, hex: far below this.
PAYMENT_FILE_BYTES_MAX: Final = 4096

DataOption = Annotated[Path, typer.Option("--data", help="The data folder (database and device files).")]
DbOption = Annotated[str | None, typer.Option("--db", help="Database URL; default: DIR/digisom.db.")]
DeviceOption = Annotated[str, typer.Option("--device", help="The device's name, e.g. pensioner.")]
NowOption = Annotated[int | None, typer.Option("--now", help="The device's clock, epoch seconds; default: now.")]


@contextmanager
def _server(data: Path, db: str | None) -> Iterator[OfflineService]:
    """The offline service on the data folder's database, closed afterwards."""
    runtime = build(data_dir=data, db_url=db)
    offline = build_offline(runtime.service.ctx)
    try:
        yield offline.service
    finally:
        offline.close()
        runtime.close()


def _device_path(data: Path, name: str) -> Path:
    if not NAME_PATTERN.fullmatch(name):
        _fail(f"a device name is 1..32 of a-z, 0-9 and '-', not {name!r}")
    return data / DEVICES_FOLDER / f"{name}.json"


def _load(data: Path, name: str) -> tuple[SoftwareSigner, Device]:
    path = _device_path(data, name)
    if not path.exists():
        _fail(f"no device {name!r} in {path.parent}; register it first")
    signer, state = decode_device(path.read_bytes())
    return signer, Device.from_state(signer, state)


def _save(data: Path, name: str, signer: SoftwareSigner, device: Device) -> None:
    """Write the device file atomically, readable by its owner only (it holds the key)."""
    path = _device_path(data, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(encode_device(signer, device.snapshot()))
    temporary.replace(path)


def _now(now: int | None) -> int:
    return now if now is not None else int(time.time())


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _echo(document: dict[str, object]) -> None:
    typer.echo(json.dumps(document))


@offline_app.command("register")
def register(
    data: DataOption, device: DeviceOption,
    wallet: Annotated[str, typer.Option("--wallet", help="The digital som wallet the device pays from.")],
    per_payment_max: Annotated[int, typer.Option(help="Largest single payment, tyiyn.")] = 500_000,
    cumulative_max: Annotated[int, typer.Option(help="Most the device may ever spend offline, tyiyn.")] = 2_000_000,
    db: DbOption = None,
) -> None:
    """Create a device key and have the wallet's bank certify it (as that bank's operator)."""
    if _device_path(data, device).exists():
        _fail(f"device {device!r} exists already")
    signer = SoftwareSigner.generate()
    try:
        with _server(data, db) as server:
            bank = server.bank_of_wallet(wallet)
            cert = server.register_device(bank, wallet, signer.public_key, per_payment_max, cumulative_max)
            trust = server.trust()
    except OfflineError as error:
        _fail(str(error))
    now_s = int(time.time())
    store = TrustStore.create(trust.root, trust.revocations, now_s).with_sync(trust.banks, trust.revocations, now_s)
    _save(data, device, signer, Device.provision(signer, cert, store, now_s))
    _echo({"device": device, "key_id": cert.key_id.hex(), "bank": bank, "not_after_s": cert.not_after_s})


@offline_app.command("fund")
def fund(
    data: DataOption, device: DeviceOption,
    amount: Annotated[int, typer.Option("--amount", min=1, help="Tyiyn to move from the wallet to the device.")],
    key: Annotated[str | None, typer.Option("--key", help="Idempotency key; default: a new one.")] = None,
    db: DbOption = None,
) -> None:
    """Move an offline allowance from the device's wallet to its offline reserve."""
    signer, dev = _load(data, device)
    try:
        with _server(data, db) as server:
            wallet = server.device(dev.device_id).wallet_id
            funding = server.fund(wallet, dev.device_id, amount, f"cli|{key or uuid.uuid4().hex}")
        dev.fund(amount)
    except OfflineError as error:
        _fail(str(error))
    _save(data, device, signer, dev)
    _echo({"device": device, "funded_tyiyn": amount, "funded_net_tyiyn": funding.funded_net_tyiyn,
           "balance_tyiyn": dev.balance_tyiyn})


@offline_app.command("pay")
def pay(
    data: DataOption, device: DeviceOption,
    to: Annotated[str, typer.Option("--to", help="The payee: a device name in this folder, or its key id (hex).")],
    amount: Annotated[int, typer.Option("--amount", min=1, help="Tyiyn.")],
    qr: Annotated[Path | None, typer.Option("--qr", help="Also write the payment's QR code (PNG) here.")] = None,
    now: NowOption = None,
) -> None:
    """Sign a payment offline; writes it to DIR/offline-payments/<hash>.json for the payee."""
    signer, dev = _load(data, device)
    payee_id = bytes.fromhex(to) if re.fullmatch(r"[0-9a-f]{16}", to) else _load(data, to)[1].device_id
    try:
        payload = dev.pay(payee_id, amount, _now(now))
    except OfflineError as error:
        _fail(str(error))
    _save(data, device, signer, dev)
    payment = decode_payment(payload)
    path = data / PAYMENTS_FOLDER / f"{payment.payment_hash.hex()[:16]}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"payment": payload.hex(), "certificate": dev.certificate.encoded.hex()}) + "\n",
                    encoding="utf-8")
    if qr is not None:
        qr.write_bytes(qr_png(payload))
    _echo({"device": device, "payment_file": str(path), "counter": payment.counter, "amount_tyiyn": amount,
           "payment_bytes": len(payload), "qr_version": qr_version(payload), "balance_tyiyn": dev.balance_tyiyn})


@offline_app.command("receive")
def receive(
    data: DataOption, device: DeviceOption,
    payment: Annotated[Path, typer.Option("--payment", help="A payment file written by `pay`.")],
    now: NowOption = None,
) -> None:
    """Verify a payment offline and keep it for the next sync (exit 1 if refused)."""
    signer, dev = _load(data, device)
    raw = payment.read_bytes()[:PAYMENT_FILE_BYTES_MAX + 1]
    if len(raw) > PAYMENT_FILE_BYTES_MAX:
        _fail("the payment file is too large")
    try:
        document = json.loads(raw)
        payload, certificate = bytes.fromhex(document["payment"]), bytes.fromhex(document["certificate"])
    except (ValueError, KeyError, TypeError):
        _fail("not a payment file")
    try:
        accepted = dev.receive(payload, _now(now), certificate)
    except OfflineError as error:
        _echo({"device": device, "accepted": False, "reason": error.reason.value})
        raise typer.Exit(1) from None
    _save(data, device, signer, dev)
    _echo({"device": device, "accepted": True, "from": accepted.payer_key_id.hex(), "counter": accepted.counter,
           "amount_tyiyn": accepted.amount_tyiyn, "received_unsynced_tyiyn": dev.received_unsynced_tyiyn})


@offline_app.command("sync")
def sync(
    data: DataOption, device: DeviceOption,
    return_unspent: Annotated[bool, typer.Option(help="Send the unspent allowance back to the wallet.")] = False,
    db: DbOption = None, now: NowOption = None,
) -> None:
    """Upload what the device sent and received, settle it into the ledger, get the new trust material."""
    signer, dev = _load(data, device)
    try:
        with _server(data, db) as server:
            outcomes = sync_device(dev, signer, _now(now), return_unspent, server.sync)
    except OfflineError as error:
        _fail(str(error))
    _save(data, device, signer, dev)
    findings = sorted({(f.device_key_id.hex(), f.fraud.value, f.counter) for o in outcomes for f in o.result.findings})
    _echo({
        "device": device, "requests": len(outcomes), "decided": sum(o.decided for o in outcomes),
        "paid_tyiyn": sum(o.paid_tyiyn for o in outcomes),
        "guaranteed_tyiyn": sum(o.guaranteed_tyiyn for o in outcomes),
        "returned_tyiyn": sum(sum(o.returned_tyiyn.values()) for o in outcomes),
        "findings": [list(f) for f in findings],
        "revocation_list_sequence": outcomes[-1].trust.revocations.sequence,
        "balance_tyiyn": dev.balance_tyiyn,
    })


def _parked_out(parked: ParkedRun) -> dict[str, object]:
    return {"run_id": parked.run_id, "reason": parked.reason.value, "detail": parked.detail,
            "parked_at": parked.parked_at}


@offline_app.command("parked")
def parked(data: DataOption, db: DbOption = None) -> None:
    """List the runs whose posting was refused (oldest first): their value waits in the reserves."""
    with _server(data, db) as server:
        runs = server.parked_runs()
    _echo({"parked": [_parked_out(run) for run in runs]})


@offline_app.command("retry")
def retry(
    data: DataOption,
    run_id: Annotated[int, typer.Option("--run", min=1, help="The parked run, from `parked`.")],
    db: DbOption = None,
) -> None:
    """Post a parked run again once its cause is fixed; exit 1 if it is still refused (parked again)."""
    try:
        with _server(data, db) as server:
            outcome = server.retry_parked(run_id)
    except OfflineError as error:
        _fail(str(error))
    still = outcome.parked
    _echo({"run_id": outcome.run_id, "posted": still is None, "transfers_posted": outcome.transfers_posted,
           "parked": _parked_out(still) if still else None})
    if still is not None:
        raise typer.Exit(1)
