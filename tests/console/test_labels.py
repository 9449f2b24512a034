"""Words that come from data (statuses, kinds, decisions, reasons) are shown in the
operator's language: every value of the enums the console shows has a label in the
catalogs, and a frozen wallet's page in Kyrgyz and Russian says so in those languages."""

from __future__ import annotations

from enum import Enum

import pytest

from digisom.cbdc.model import HolderKind, ParticipantKind, WalletStatus
from digisom.compliance.decisions import ReviewOutcome
from digisom.console.labels import LABELS
from digisom.disbursement.model import RunStatus
from digisom.disbursement.parsing import Reason
from digisom.interbank.priority import Priority
from digisom.kernel.screening import ScreeningDecision
from digisom.registry.assets import AssetStatus
from digisom.registry.licensing import Decision, VaspStatus
from digisom.usdkg.operations import OperationKind, OperationState
from digisom.usdkg.reconcile import FindingKind
from digisom.vasp_reports.ports import LicenceStatus
from tests.api.world import World
from tests.console.test_wallets import WALLETS, open_one, signed_in
from tests.portal.text import readable_text

SHOWN: tuple[type[Enum], ...] = (ParticipantKind, WalletStatus, HolderKind, RunStatus, Reason, VaspStatus,
                                 LicenceStatus, Decision, AssetStatus, ScreeningDecision, ReviewOutcome, Priority,
                                 OperationKind, OperationState, FindingKind)


@pytest.mark.parametrize("enum", SHOWN, ids=lambda e: e.__name__)
def test_every_value_the_console_shows_has_a_label(enum: type[Enum]) -> None:
    assert {member.value for member in enum} - set(LABELS) == set()


@pytest.mark.parametrize(("lang", "frozen", "freeze"), [("ru", "заморожен", "заморозка"),
                                                         ("ky", "тоңдурулган", "тоңдуруу")])
def test_a_frozen_wallet_reads_in_the_operators_language(world: World, lang: str, frozen: str, freeze: str) -> None:
    wallet_id = open_one(signed_in(world, "commercial_bank"), f"cust-label-{lang}")
    cb = signed_in(world, "central_bank", f"{WALLETS}/{wallet_id}")
    assert cb.post(f"{WALLETS}/{wallet_id}/freeze", {"reason": "court order", "legal_order_ref": "ORD-7"}
                   ).status_code == 303
    page = cb.get(f"{WALLETS}/{wallet_id}", lang=lang).text
    assert f'<dd id="wallet-status">{frozen}</dd>' in page
    assert f"<td>{freeze}</td>" in page  # the hold's action
    assert not {"frozen", "freeze"} & set(readable_text(page, lang).split())
    english = cb.get(f"{WALLETS}/{wallet_id}", lang="en").text
    assert '<dd id="wallet-status">frozen</dd>' in english  # English shows the stored word
