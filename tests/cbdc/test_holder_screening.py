"""The digital som's side of holder screening (`ports.HolderScreening`): a `hit` refuses
before any row or ledger account exists; a `review` opens the wallet frozen in the same
transaction as its hold; the screening is asked once per opening, not on a retry."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from digisom.cbdc import accounts, tables
from digisom.cbdc.errors import HolderSanctioned
from digisom.cbdc.ids import operation_id, public_id
from digisom.cbdc.model import HolderKind, WalletStatus
from digisom.cbdc.ports import HolderVerdict, ScreeningDecision
from tests.cbdc.conftest import CENTRAL_BANK, COMMERCIAL_BANK, build_domain


class ByName:
    """Decides by the holder's name; remembers who was asked about."""

    def __init__(self, decisions: dict[str, ScreeningDecision]) -> None:
        self.decisions = decisions
        self.asked: list[tuple[str, HolderKind]] = []

    def screen_holder(self, full_name: str, kind: HolderKind) -> HolderVerdict:
        self.asked.append((full_name, kind))
        decision = self.decisions.get(full_name, ScreeningDecision.CLEAR)
        return HolderVerdict(decision, f"screening-{len(self.asked)}", f"rule=test score=900 name={full_name}")


def test_hit_refuses_review_freezes_clear_opens(tmp_path: Path) -> None:
    screening = ByName({"Listed": ScreeningDecision.HIT, "Resembling": ScreeningDecision.REVIEW})
    domain, submitter = build_domain(tmp_path, screening=screening)
    service = domain.service
    try:
        with pytest.raises(HolderSanctioned) as refused:
            domain.open(COMMERCIAL_BANK, "listed", 1)
        assert refused.value.extensions["screening"] == "screening-1"
        with domain.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(tables.wallets)).scalar_one() == 0
            assert conn.execute(select(func.count()).select_from(tables.identities)).scalar_one() == 0
        # No ledger account was created for the id the wallet would have had.
        refused_id = public_id("w", operation_id(COMMERCIAL_BANK, "open-listed"))
        assert service.ctx.ledger.accounts([accounts.wallet_account_id(refused_id)]) == {}

        resembling = domain.open(COMMERCIAL_BANK, "resembling", 1)
        assert service.wallet(CENTRAL_BANK, resembling).wallet.status is WalletStatus.FROZEN
        (hold,) = service.holds(CENTRAL_BANK, resembling)
        assert (hold.action, hold.legal_order_ref, hold.actor) == ("freeze", "screening-2", "system:holder-screening")
        assert "rule=test" in hold.reason
        assert domain.open(COMMERCIAL_BANK, "resembling", 1) == resembling  # a retry: not screened again
        assert len(screening.asked) == 2

        clear = domain.open(COMMERCIAL_BANK, "clear", 1, merchant=True)
        assert service.wallet(CENTRAL_BANK, clear).wallet.status is WalletStatus.ACTIVE
        assert screening.asked[-1] == ("Clear", HolderKind.MERCHANT)
        # The frozen wallet is lifted by the existing legal-authority path.
        service.set_frozen(COMMERCIAL_BANK, resembling, False, "review cleared", "screening-2")
        assert service.wallet(CENTRAL_BANK, resembling).wallet.status is WalletStatus.ACTIVE
    finally:
        submitter.close()
        domain.engine.dispose()
