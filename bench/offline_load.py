"""Offline clients for the load on `digisom serve`: devices funded from the load's wallets,
paying each other offline and syncing over HTTP while the wallets pay online.

Each pair is two wallets of the load world: the payer's device is funded from its wallet
(a debit of a wallet the online payments also use), pays the payee's device offline, and
both devices sync. The payee's sync credits the payee's wallet, near its holding limit,
through the credit path (limit, waterfall). A share of fundings is sent twice at once with
one idempotency key, and a share of syncs twice at once (a device retrying its upload).

`check` proves funding and sync moved value exactly once: per pair, what the syncs paid
(over distinct runs) is what the payer's device paid offline, and the payer device's
offline reserve on the ledger holds what was funded less what was paid. `apply_to`
books the fundings and payouts on the wallets, so the harness's per-wallet total holds.
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import httpx

from digisom.ledger.service import Ledger
from digisom.offline.accounts import reserve_account_id
from digisom.offline.certificates import TrustStore, decode_certificate, decode_revocation_list
from digisom.offline.device import Device
from digisom.offline.keys import SoftwareSigner
from digisom.offline.sync_request import sign_sync_request
from digisom.stores.url import open_store

PER_PAYMENT_MAX_TYIYN: Final = 500_000
CUMULATIVE_MAX_TYIYN: Final = 1_000_000_000  # what a device may ever spend: never the limit in a run
FUNDING_TYIYN: Final = 1_000_000  # per round, from the payer's wallet
PAYMENTS_PER_ROUND: Final = 3
TWICE_SHARE: Final = 0.15  # of fundings and syncs sent twice at once
DAY_S: Final = 86_400


class LoadWallet(Protocol):
    """What this module needs of the harness's wallet."""

    id: str
    bank: str
    token: str
    net_tyiyn: int


@dataclass
class OfflinePair:
    """A payer's device and a payee's device, each on a load wallet."""

    payer: LoadWallet
    payee: LoadWallet
    payer_device: Device
    payee_device: Device
    payer_signer: SoftwareSigner
    payee_signer: SoftwareSigner
    now_s: int  # the devices' clock, advanced by each payment
    funded_tyiyn: int = 0  # accepted fundings, each key once
    paid_offline_tyiyn: int = 0  # what the payer's device paid the payee's
    synced_tyiyn: int = 0  # what the syncs' distinct runs paid
    runs: set[int] = field(default_factory=set)


@dataclass
class OfflineLoad:
    """The pairs and what their clients were answered."""

    pairs: list[OfflinePair]
    statuses: Counter[int] = field(default_factory=Counter)
    fundings: int = 0
    syncs: int = 0  # sync requests answered 200 (twice-sent copies included)
    parked: list[str] = field(default_factory=list)


def setup(client: httpx.Client, world_wallets: list[Any], bank_tokens: dict[str, str], pair_count: int) -> OfflineLoad:
    """Certify two devices for each of `pair_count` pairs of wallets (by their banks)."""
    if 2 * pair_count > len(world_wallets):
        raise ValueError(f"{pair_count} pairs need {2 * pair_count} wallets, the world has {len(world_wallets)}")
    pairs = []
    for number in range(pair_count):
        payer, payee = world_wallets[2 * number], world_wallets[2 * number + 1]
        payer_signer, payee_signer = SoftwareSigner.generate(), SoftwareSigner.generate()
        payer_device, now_s = _device(client, payer, bank_tokens[payer.bank], payer_signer)
        payee_device, _ = _device(client, payee, bank_tokens[payee.bank], payee_signer)
        pairs.append(OfflinePair(payer, payee, payer_device, payee_device, payer_signer, payee_signer, now_s))
    return OfflineLoad(pairs)


def _device(client: httpx.Client, wallet: LoadWallet, bank_token: str, signer: SoftwareSigner) -> tuple[Device, int]:
    body = {"wallet_id": wallet.id, "public_key": signer.public_key.hex(),
            "per_payment_max_tyiyn": str(PER_PAYMENT_MAX_TYIYN), "cumulative_max_tyiyn": str(CUMULATIVE_MAX_TYIYN)}
    cert = _ok(client.post("/v1/offline/devices", json=body, headers=_headers(bank_token)), 201)
    trust = _ok(client.get("/v1/offline/ca"), 200)
    root = decode_certificate(base64.b64decode(trust["root"]["encoded"]))
    banks = [decode_certificate(base64.b64decode(b["encoded"])) for b in trust["banks"]]
    crl = decode_revocation_list(base64.b64decode(trust["revocation_list"]["encoded"]))
    now_s = int(cert["not_before_s"]) + DAY_S  # certificates are backdated a day
    store = TrustStore.create(root, crl, now_s).with_sync(banks, crl, now_s)
    return Device.provision(signer, decode_certificate(base64.b64decode(cert["encoded"])), store, now_s), now_s


async def run_client(client: httpx.AsyncClient, load: OfflineLoad, pair: OfflinePair, deadline: float,
                     seed: int) -> None:
    """Rounds of fund, pay offline, sync both devices, until `deadline`; then a last sync,
    so everything paid offline reaches the server."""
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        await _fund(client, load, pair, rng)
        for _ in range(PAYMENTS_PER_ROUND):
            amount = rng.randint(1, PER_PAYMENT_MAX_TYIYN)
            if amount > pair.payer_device.balance_tyiyn:
                break
            pair.now_s += 1
            payload = pair.payer_device.pay(pair.payee_device.device_id, amount, pair.now_s)
            pair.payee_device.receive(payload, pair.now_s, pair.payer_device.certificate.encoded)
            pair.paid_offline_tyiyn += amount
        await _sync(client, load, pair, pair.payee_device, pair.payee_signer, rng)
        await _sync(client, load, pair, pair.payer_device, pair.payer_signer, rng)
    await _sync(client, load, pair, pair.payee_device, pair.payee_signer, None)


async def _fund(client: httpx.AsyncClient, load: OfflineLoad, pair: OfflinePair, rng: random.Random) -> None:
    body = {"device_key_id": pair.payer_device.device_id.hex(), "amount_tyiyn": str(FUNDING_TYIYN),
            "currency": "KGS"}
    headers = _headers(pair.payer.token)
    copies = 2 if rng.random() < TWICE_SHARE else 1
    answers = await asyncio.gather(*(client.post(f"/v1/offline/wallets/{pair.payer.id}/fundings", json=body,
                                                 headers=headers) for _ in range(copies)))
    for answer in answers:
        load.statuses[answer.status_code] += 1
    if any(answer.status_code == 200 for answer in answers):  # one key: funded once however often answered
        pair.payer_device.fund(FUNDING_TYIYN)
        pair.funded_tyiyn += FUNDING_TYIYN
        load.fundings += 1


async def _sync(client: httpx.AsyncClient, load: OfflineLoad, pair: OfflinePair, device: Device,
                signer: SoftwareSigner, rng: random.Random | None) -> None:
    upload = device.upload()
    pair.now_s += 1
    request = base64.b64encode(sign_sync_request(signer, upload, pair.now_s, device.spent_tyiyn, False)).decode()
    copies = 2 if rng is not None and rng.random() < TWICE_SHARE else 1
    answers = await asyncio.gather(*(client.post("/v1/offline/sync", json={"request": request},
                                                 headers={"Idempotency-Key": f"sync-{uuid.uuid4().hex}"})
                                     for _ in range(copies)))
    for answer in answers:
        load.statuses[answer.status_code] += 1
        if answer.status_code != 200:
            continue
        load.syncs += 1
        run = answer.json()
        if run["parked_reason"]:
            load.parked.append(run["parked_reason"])
        if run["run_id"] not in pair.runs:
            pair.runs.add(run["run_id"])
            pair.synced_tyiyn += int(run["paid_tyiyn"])
        device.acknowledge(upload)


def apply_to(load: OfflineLoad) -> None:
    """Book on the wallets what left them for a device and what syncs paid into them."""
    for pair in load.pairs:
        pair.payer.net_tyiyn -= pair.funded_tyiyn
        pair.payee.net_tyiyn += pair.synced_tyiyn


def check(load: OfflineLoad, db_url: str) -> list[str]:
    """Funding and sync moved value exactly once; the broken rules."""
    broken = [f"offline: a sync was parked: {reason}" for reason in load.parked]
    store = open_store(db_url)
    try:
        ledger = Ledger(store)
        reserves = ledger.lookup_accounts([reserve_account_id(p.payer_device.device_id) for p in load.pairs])
    finally:
        store.close()
    for pair, reserve in zip(load.pairs, reserves, strict=True):
        name = pair.payer_device.device_id.hex()
        if pair.synced_tyiyn != pair.paid_offline_tyiyn:
            broken.append(f"offline {name}: paid {pair.paid_offline_tyiyn} offline, syncs credited "
                          f"{pair.synced_tyiyn}")
        held = reserve.credits_posted - reserve.debits_posted
        if held != pair.funded_tyiyn - pair.paid_offline_tyiyn:
            broken.append(f"offline {name}: its reserve holds {held}, funded {pair.funded_tyiyn} less paid "
                          f"{pair.paid_offline_tyiyn} is {pair.funded_tyiyn - pair.paid_offline_tyiyn}")
    return broken


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": f"offline-{uuid.uuid4().hex}"}


def _ok(answer: httpx.Response, status: int) -> Any:
    if answer.status_code != status:
        raise RuntimeError(f"{answer.request.url.path}: {answer.status_code} {answer.text}")
    return answer.json()
