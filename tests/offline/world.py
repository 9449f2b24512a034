"""A small offline world for tests: the central bank, a commercial bank, devices."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from digisom.offline.certificates import (
    Certificate,
    RevocationList,
    Role,
    TrustStore,
    issue_certificate,
    issue_revocation_list,
)
from digisom.offline.device import Device
from digisom.offline.keys import SoftwareSigner
from digisom.offline.settlement import SettlementContext

NOW_S = 1_790_000_000
DAY_S = 86_400
YEAR_S = 365 * DAY_S
PER_PAYMENT_MAX_TYIYN = 500_000  # 5,000 som
CUMULATIVE_MAX_TYIYN = 2_000_000  # 20,000 som


def signer(name: str) -> SoftwareSigner:
    """A repeatable key for a role name."""
    return SoftwareSigner.from_seed(hashlib.sha256(name.encode()).digest())


@dataclass
class World:
    central_bank: SoftwareSigner = field(default_factory=lambda: signer("central_bank"))
    commercial_bank: SoftwareSigner = field(default_factory=lambda: signer("commercial_bank"))
    root: Certificate = field(init=False)
    bank: Certificate = field(init=False)
    revocations: RevocationList = field(init=False)
    devices: dict[bytes, Certificate] = field(default_factory=dict)
    funded_tyiyn: dict[bytes, int] = field(default_factory=dict)
    revoked_at_sequence: dict[bytes, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = issue_certificate(
            self.central_bank, Role.CENTRAL_BANK, self.central_bank.public_key, NOW_S - YEAR_S, NOW_S + 10 * YEAR_S
        )
        self.bank = issue_certificate(
            self.central_bank, Role.COMMERCIAL_BANK, self.commercial_bank.public_key, NOW_S - YEAR_S, NOW_S + 5 * YEAR_S
        )
        self.revocations = issue_revocation_list(self.central_bank, 0, NOW_S - DAY_S, [])

    def trust(self, now_s: int = NOW_S) -> TrustStore:
        return TrustStore.create(self.root, self.revocations, now_s).with_sync([self.bank], self.revocations, now_s)

    def device_certificate(
        self,
        key: SoftwareSigner,
        not_before_s: int = NOW_S - DAY_S,
        not_after_s: int = NOW_S + 90 * DAY_S,
        per_payment_max_tyiyn: int = PER_PAYMENT_MAX_TYIYN,
        cumulative_max_tyiyn: int = CUMULATIVE_MAX_TYIYN,
    ) -> Certificate:
        return issue_certificate(
            self.commercial_bank,
            Role.DEVICE,
            key.public_key,
            not_before_s,
            not_after_s,
            per_payment_max_tyiyn,
            cumulative_max_tyiyn,
        )

    def device(
        self,
        name: str,
        fund_tyiyn: int = 1_000_000,
        per_payment_max_tyiyn: int = PER_PAYMENT_MAX_TYIYN,
        cumulative_max_tyiyn: int = CUMULATIVE_MAX_TYIYN,
    ) -> Device:
        """A provisioned device for a holder name (`pensioner`, `merchant`, `shop`...), funded."""
        key = signer(name)
        cert = self.device_certificate(
            key, per_payment_max_tyiyn=per_payment_max_tyiyn, cumulative_max_tyiyn=cumulative_max_tyiyn
        )
        device = Device.provision(key, cert, self.trust(), NOW_S)
        if fund_tyiyn:
            device.fund(fund_tyiyn)
        self.devices[cert.key_id] = cert
        self.funded_tyiyn[cert.key_id] = self.funded_tyiyn.get(cert.key_id, 0) + fund_tyiyn
        return device

    def revoke(self, key_ids: Iterable[bytes], issued_at_s: int = NOW_S) -> RevocationList:
        sequence = self.revocations.sequence + 1
        for key_id in key_ids:
            self.revoked_at_sequence.setdefault(key_id, sequence)
        self.revocations = issue_revocation_list(
            self.central_bank, sequence, issued_at_s, self.revoked_at_sequence.keys()
        )
        return self.revocations

    def context(self, now_s: int = NOW_S + DAY_S) -> SettlementContext:
        return SettlementContext(
            devices=dict(self.devices),
            funded_tyiyn=dict(self.funded_tyiyn),
            revoked_at_sequence=dict(self.revoked_at_sequence),
            now_s=now_s,
        )
