"""The console's words for values that come from data: statuses, kinds, decisions, the
steps of a review, a wallet's holds, the reasons a payee row was refused. Each stored value
with its label, marked for the catalog (`N_`) and translated where it is shown (the
`label` filter). One flat table: a value reads the same on every screen that shows it.

In English a label is the stored word itself (the screens read as before); the catalogs
give the Kyrgyz and Russian."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from digisom.console.i18n import N_, _

LABELS: Final[Mapping[str, str]] = MappingProxyType({
    # A participant's kind (`cbdc.model.ParticipantKind`).
    "central_bank": N_("Central bank"),
    "commercial_bank": N_("Commercial bank"),
    "payment_provider": N_("Payment provider"),
    "treasury": N_("Treasury"),
    "ministry": N_("Ministry"),
    # A wallet's status and holder (`cbdc.model`), and its holds.
    "active": N_("active"),
    "frozen": N_("frozen"),
    "closing": N_("closing"),
    "closed": N_("closed"),
    "individual": N_("individual"),
    "merchant": N_("merchant"),
    "government": N_("government"),
    "freeze": N_("freeze"),
    "unfreeze": N_("unfreeze"),
    # A disbursement run (`disbursement.model.RunStatus`).
    "uploaded": N_("uploaded"),
    "approved": N_("approved"),
    "executing": N_("executing"),
    "completed": N_("completed"),
    # A VASP, its licence and a review's proposal (`registry.licensing`, `vasp_reports.ports`).
    "applied": N_("applied"),
    "proposed": N_("proposed"),
    "licensed": N_("licensed"),
    "refused": N_("refused"),
    "suspended": N_("suspended"),
    "revoked": N_("revoked"),
    "none": N_("none"),
    "grant": N_("grant"),
    "refuse": N_("refuse"),
    # A register entry (`registry.assets.AssetStatus`).
    "registered": N_("registered"),
    "delisted": N_("delisted"),
    # A screening and its review (`kernel.screening`, `compliance.decisions`).
    "hit": N_("hit"),
    "review": N_("review"),
    "clear": N_("clear"),
    "cleared": N_("cleared"),
    "confirmed": N_("confirmed"),
    "rejected": N_("rejected"),
    "open": N_("open"),
    # Where a screening was asked for (the composition root's contexts).
    "api": N_("through the API"),
    "wallet_opening": N_("wallet opening"),
    "remittance": N_("remittance"),
    "interbank_message": N_("interbank message"),
    "kgst_mint_destination": N_("KGST mint destination"),
    "kgst_redemption_sender": N_("KGST redemption sender"),
    "merchant_payment": N_("merchant payment"),
    # An RTGS payment's priority (`interbank.priority.Priority`).
    "urgent": N_("urgent"),
    "normal": N_("normal"),
    # Why a payee row or a file was refused (`disbursement.parsing.Reason`).
    "file_too_large": N_("file too large"),
    "not_utf8": N_("not UTF-8 text"),
    "bad_header": N_("wrong header row"),
    "empty_file": N_("empty file"),
    "too_many_rows": N_("too many rows"),
    "malformed_row": N_("malformed row"),
    "missing_field": N_("missing field"),
    "field_too_long": N_("field too long"),
    "invalid_pin": N_("invalid PIN"),
    "non_numeric_amount": N_("amount is not a number"),
    "too_many_decimals": N_("too many decimal places"),
    "non_positive_amount": N_("amount is not positive"),
    "amount_too_large": N_("amount too large"),
    "duplicate_pin": N_("PIN given twice"),
    "unknown_pin": N_("unknown PIN"),
    "already_in_period": N_("already paid in this period"),
    "total_over_budget": N_("total over the budget"),
    "not_xml": N_("not XML"),
    "not_pain001": N_("not a pain.001 payment order"),
    "schema_invalid": N_("does not match the schema"),
    "wrong_currency": N_("wrong currency"),
    "control_sum_mismatch": N_("control sum does not match"),
    # A USDKG mint or redemption and its state (`usdkg.operations`).
    "mint": N_("mint"),
    "redeem": N_("redemption"),
    "sending": N_("sent, outcome not recorded"),
    "done": N_("done"),
    # What a USDKG audit found (`usdkg.reconcile.FindingKind`).
    "missing_bar": N_("bar missing from the count"),
    "extra_bar": N_("bar counted but not in a vault"),
    "weight_differs": N_("weight differs"),
    "fineness_differs": N_("fineness differs"),
    "brand_differs": N_("brand differs"),
    "wrong_vault": N_("in another vault"),
})


def label(value: object) -> str:
    """`value` (a stored word or a StrEnum member) in the request's language; a value with
    no label is shown as stored."""
    word = str(value)
    message = LABELS.get(word)
    return _(message) if message is not None else word
