"""A realistic, synthetic State Register for demos and tests: 100+ VASPs in Bishkek, Osh
and Karakol (most licensed, some suspended, one revoked, one refused, two still in
review) and the KGST and USDKG entries, all through the real services: each VASP uploads
its documents and applies, one registrar proposes, a second approves (four eyes), so the
seeded log is signed, hash-chained and verifiable like any other.

Deterministic: the same `seed` gives the same names, ids, addresses, activities, licence
numbers and VASP signing keys (Ed25519, derived from the seed string and the VASP id), so a
demo or a test can sign a volume report as any seeded VASP. Only the event times (the
register's clock) and the expiry dates (counted from the register's day) vary. The keys
are public knowledge: synthetic data only.

Seeding an already seeded database adds nothing: a VASP or an asset already in the
register is left as it is."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.registry.assets import AssetRegister
from digisom.registry.chain import public_key_hex
from digisom.registry.documents import DocumentIn, Documents
from digisom.registry.known_assets import kgst_application, usdkg_application
from digisom.registry.licensing import Activity, Decision, Licensing, ProposalIn

DEFAULT_SEED: Final = "digisom-register-demo-v1"
DEFAULT_REGISTRARS: Final = ("registrar:-:registrar-aida", "registrar:-:registrar-nurlan")
DEFAULT_VASPS: Final = 104
KEY_TAG: Final = "digisom-seed-vasp-key-v1"
LICENCE_PREFIX: Final = "KG-VASP-2026-"

PREFIXES: Final = (
    "Ala-Too", "Tengri", "Issyk-Kul", "Manas", "Chuy", "Naryn", "Talas", "Tian-Shan", "Sary-Chelek", "Tulpar",
    "Ak-Sai", "Sapat", "Tunduk", "Boz-Uy", "Komuz", "Saimaluu", "Jalal-Abad", "Batken", "Kel-Suu", "Son-Kul",
    "Ak-Bulak", "Kara-Balta", "Aigul", "Kumush", "Altyn-Arashan", "Suusamyr", "Chatkal", "Ordo", "Erkin", "Jashyl",
)
CORES: Final = ("Exchange", "Crypto", "Digital", "Capital", "Assets", "Pay", "Trade", "Custody", "Finance", "Coin",
                "Ledger", "Bridge")
FORMS: Final = ("LLC", "CJSC", "OJSC", "Ltd")
CITIES: Final = (
    ("Bishkek", "7200{:02d}", ("Chui Avenue", "Manas Avenue", "Erkindik Boulevard", "Kievskaya Street",
                               "Toktogul Street", "Abdrakhmanov Street", "Moskovskaya Street", "Isanov Street",
                               "Ibraimov Street", "Jibek Jolu Avenue")),
    ("Osh", "7235{:02d}", ("Lenin Street", "Kurmanjan Datka Street", "Masaliev Avenue", "Navoi Street")),
    ("Karakol", "7222{:02d}", ("Toktogul Street", "Abdrakhmanov Street", "Gebze Street", "Lenin Street")),
)
CITY_WEIGHTS: Final = (7, 2, 1)
ACTIVITY_MIXES: Final = (
    (frozenset({Activity.EXCHANGE}), 5),
    (frozenset({Activity.EXCHANGE, Activity.CUSTODY}), 4),
    (frozenset({Activity.EXCHANGE, Activity.CUSTODY, Activity.TRANSFER}), 3),
    (frozenset({Activity.TRANSFER}), 2),
    (frozenset({Activity.CUSTODY}), 1),
)
CONDITIONS: Final = (
    "quarterly AML/CFT audit by an independent auditor",
    "customer assets segregated from own funds",
    "no margin or leveraged trading",
    "monthly volume reports by the 10th of the following month",
)
SUSPENSION_REASON: Final = "volume report for the last month not filed; suspended until it is"
REVOCATION_REASON: Final = "custody of customer assets commingled with own funds (inspection finding)"


class Fate(StrEnum):
    """Where a seeded VASP ends up."""

    LICENSED = "licensed"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    REFUSED = "refused"
    PROPOSED = "proposed"
    APPLIED = "applied"


@dataclass(frozen=True, slots=True)
class SeededVasp:
    """One seeded VASP, with the key it signs with (synthetic: the key is derivable by anyone)."""

    vasp_id: str
    legal_name: str
    address: str
    activities: frozenset[Activity]
    fate: Fate
    licence_number: str
    key: Ed25519PrivateKey = field(compare=False, repr=False)  # derived from the seed and the id (`vasp_key`)

    @property
    def public_key(self) -> str:
        """The raw public key, hex, as the licence record holds it."""
        return public_key_hex(self.key)


@dataclass(frozen=True, slots=True)
class SeededRegister:
    """What the seed planned (and, where absent before, wrote): every VASP with its key, and the asset symbols."""

    vasps: tuple[SeededVasp, ...]
    assets: tuple[str, ...]

    def vasp(self, vasp_id: str) -> SeededVasp:
        """The seeded VASP `vasp_id` (KeyError if none)."""
        found = {v.vasp_id: v for v in self.vasps}
        return found[vasp_id]

    def with_fate(self, fate: Fate) -> list[SeededVasp]:
        """The seeded VASPs that end up `fate`, by id."""
        return [v for v in self.vasps if v.fate is fate]


def vasp_key(seed: str, vasp_id: str) -> Ed25519PrivateKey:
    """The seeded VASP's Ed25519 key: the SHA-256 of a tag, the seed and the id as its private bytes."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"{KEY_TAG}\n{seed}\n{vasp_id}".encode()).digest())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _fates(count: int) -> list[Fate]:
    """By position: the last three refused, proposed and applied; the eighth revoked;
    every 19th from the twelfth suspended."""
    fates = [Fate.LICENSED] * count
    for position in range(11, count - 3, 19):
        fates[position] = Fate.SUSPENDED
    fates[7] = Fate.REVOKED
    fates[-3:] = [Fate.REFUSED, Fate.PROPOSED, Fate.APPLIED]
    return fates


def plan(seed: str = DEFAULT_SEED, count: int = DEFAULT_VASPS) -> tuple[SeededVasp, ...]:
    """The seeded VASPs: two issuers (KGST, USDKG) and `count - 2` exchanges and custodians."""
    if not 12 <= count <= len(PREFIXES) * len(CORES):
        raise ValueError(f"between 12 and {len(PREFIXES) * len(CORES)} VASPs")
    rng = random.Random(seed)  # noqa: S311 -- synthetic names and places, reproducible; keys come from SHA-256
    issuers = [("KGST Issuer", "KGST Issuer OJSC", frozenset({Activity.ISSUANCE, Activity.CUSTODY})),
               ("USDKG Issuer", "USDKG Gold Token CJSC", frozenset({Activity.ISSUANCE, Activity.CUSTODY}))]
    names = rng.sample([(p, c) for p in PREFIXES for c in CORES], count - len(issuers))
    mixes = [mix for mix, _weight in ACTIVITY_MIXES]
    weights = [weight for _mix, weight in ACTIVITY_MIXES]
    rows = issuers + [(f"{p} {c}", f"{p} {c} {rng.choice(FORMS)}", rng.choices(mixes, weights)[0]) for p, c in names]
    planned: list[SeededVasp] = []
    for number, ((short, legal_name, activities), fate) in enumerate(zip(rows, [Fate.LICENSED] * 2 + _fates(
            count - 2), strict=True), start=1):
        vasp_id = f"vasp-{_slug(short)}"
        city, postcode, streets = rng.choices(CITIES, CITY_WEIGHTS)[0]
        address = (f"{rng.randint(1, 220)} {rng.choice(streets)}, {city} {postcode.format(rng.randint(1, 40))}, "
                   "Kyrgyz Republic")
        licence = f"{LICENCE_PREFIX}{number:04d}" if fate not in (Fate.REFUSED, Fate.APPLIED) else ""
        planned.append(SeededVasp(vasp_id, legal_name, address, activities, fate, licence, vasp_key(seed, vasp_id)))
    return tuple(planned)


def _documents(vasp: SeededVasp) -> list[tuple[str, bytes]]:
    """The application's synthetic documents: a charter and an AML/CFT policy."""
    return [(f"{kind}.txt", f"{vasp.legal_name}\n{vasp.address}\n{kind}: synthetic document for {vasp.vasp_id}\n"
             .encode()) for kind in ("charter", "aml-cft-policy")]


def _license(licensing: Licensing, vasp: SeededVasp, number: int, registrars: Sequence[str]) -> None:
    """File `vasp`'s application (its documents stored) and take it through review to its fate."""
    proposer, approver = registrars[number % 2], registrars[(number + 1) % 2]
    hashes = [hashlib.sha256(content).hexdigest() for _name, content in _documents(vasp)]
    licensing.apply(vasp.vasp_id, vasp.legal_name, vasp.address, vasp.activities, vasp.public_key, hashes,
                    f"vasp:-:{vasp.vasp_id}")
    if vasp.fate is Fate.APPLIED:
        return
    if vasp.fate is Fate.REFUSED:
        proposal = ProposalIn(Decision.REFUSE, "", frozenset(), (), None,
                              "beneficial owners not disclosed; the AML/CFT policy names no compliance officer")
    else:
        expires_on = licensing.today() + timedelta(days=365 * (1 + number % 3))
        conditions = tuple(c for k, c in enumerate(CONDITIONS) if (number >> k) & 1)
        proposal = ProposalIn(Decision.GRANT, vasp.licence_number, vasp.activities, conditions, expires_on,
                              "documents complete; fit and proper test passed")
    proposed = licensing.propose(vasp.vasp_id, proposal, proposer)
    if vasp.fate is Fate.PROPOSED:
        return
    assert proposed.proposal is not None  # a proposal was just made
    licensing.approve(vasp.vasp_id, proposed.proposal.seq, approver)
    if vasp.fate is Fate.SUSPENDED:
        licensing.suspend(vasp.vasp_id, SUSPENSION_REASON, proposer)
    elif vasp.fate is Fate.REVOKED:
        licensing.revoke(vasp.vasp_id, REVOCATION_REASON, proposer)


def _address(seed: str, what: str) -> str:
    """A synthetic, deterministic contract address."""
    return "0x" + hashlib.sha256(f"{seed}\n{what}".encode()).hexdigest()[:40]


def seed_register(assets: AssetRegister, licensing: Licensing, documents: Documents, *,
                  registrars: Sequence[str] = DEFAULT_REGISTRARS, seed: str = DEFAULT_SEED,
                  count: int = DEFAULT_VASPS) -> SeededRegister:
    """Seed the register with `count` VASPs and the KGST and USDKG entries through the
    services (two distinct `registrars` take turns proposing and approving)."""
    if len(registrars) != 2 or registrars[0] == registrars[1]:
        raise ValueError("two distinct registrars: one proposes, the other approves")
    planned = plan(seed, count)
    present = {v.application.vasp_id for v in licensing.vasps()}
    absent = [(number, v) for number, v in enumerate(planned, start=1) if v.vasp_id not in present]
    # Two transactions, not hundreds: the documents, then every licensing step (each still its own signed event).
    documents.store_many([DocumentIn(v.vasp_id, name, content, hashlib.sha256(content).hexdigest())
                          for _n, v in absent for name, content in _documents(v)])
    with licensing.log.batch():
        for number, vasp in absent:
            _license(licensing, vasp, number, registrars)
    kgst_issuer, usdkg_issuer = planned[0].licence_number, planned[1].licence_number
    applications = (
        kgst_application(56, _address(seed, "KGST@56"), 2, hashlib.sha256(b"KGST white paper (seed)").hexdigest(),
                         kgst_issuer),
        usdkg_application({1: _address(seed, "USDKG@1"), 56: _address(seed, "USDKG@56")}, 6,
                          hashlib.sha256(b"USDKG white paper (seed)").hexdigest(), usdkg_issuer),
    )
    listed = {e.application.symbol for e in assets.entries()}
    with assets.log.batch():
        for application in applications:
            if application.symbol not in listed:
                assets.ensure_registered(application, registrars[0],
                                         "issuer licensed; white paper and reserve reviewed")
    return SeededRegister(planned, tuple(a.symbol for a in applications))
