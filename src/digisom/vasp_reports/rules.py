"""The checks a report passes before it is stored, in the order they run (`service.submit`):
the licence and the signature first, then the period, the sums and the assets.

Each check raises its own typed error naming what failed; none writes anything."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from digisom.vasp_reports import signing
from digisom.vasp_reports.errors import AssetRefused, BadSignature, NotLicensed, PeriodRefused, SumsMismatch
from digisom.vasp_reports.periods import Period, ReportingPolicy, current_period
from digisom.vasp_reports.ports import AssetState, AssetStatus, Licence, Licences, LicenceStatus
from digisom.vasp_reports.report import Report

# National currencies a pair may be quoted in or an asset line may count (fiat deposits):
# they are not digital assets, so the register does not list them.
FIAT_CURRENCIES: Final = frozenset({"KGS", "USD", "EUR", "RUB", "KZT", "CNY", "TRY", "UZS", "GBP"})
# Assets a report may name: registered ones, and suspended ones (trading may have
# happened before the suspension; the report says what happened).
REPORTABLE_STATES: Final = frozenset({AssetState.REGISTERED, AssetState.SUSPENDED})


def licence_of(licences: Licences, vasp_id: str) -> Licence:
    """The licence of `vasp_id` if it is in force; else `NotLicensed` naming its status."""
    licence = licences.licence(vasp_id)
    status = LicenceStatus.NONE if licence is None else licence.status
    if licence is None or status is not LicenceStatus.LICENSED:
        raise NotLicensed(f"VASP {vasp_id} is not licensed (licence status: {status.value})",
                          vasp_id=vasp_id, licence_status=status.value)
    return licence


def check_signature(licence: Licence, report: Report, signature: bytes) -> None:
    """`BadSignature` unless `signature` is the licence key's over the report."""
    if not signing.verifies(licence.public_key, signature, report):
        raise BadSignature(f"the signature does not verify under the licence key of VASP {licence.vasp_id}",
                           vasp_id=licence.vasp_id, public_key=licence.public_key.hex())


def check_period(report: Report, licence: Licence, now: datetime, policy: ReportingPolicy) -> Period:
    """The report's period if it is a month that is over and not before the licence."""
    period = Period.parse(report.period)
    current = current_period(now, policy)
    if period >= current:
        raise PeriodRefused(f"{period} is not over yet: the latest month that can be reported is "
                            f"{_previous(current)}", period=str(period), rule="not_over")
    licensed = Period.of(licence.licensed_from)
    if period < licensed:
        raise PeriodRefused(f"{period} is before the licence of VASP {licence.vasp_id} (from "
                            f"{licence.licensed_from.isoformat()})", period=str(period), rule="before_licence")
    return period


def _previous(period: Period) -> Period:
    return Period(period.year - (period.month == 1), (period.month - 2) % 12 + 1)


def check_sums(report: Report) -> None:
    """`SumsMismatch` naming each declared total that is not the sum of the pair lines."""
    found = {"volume_tyiyn": sum(int(p.volume_tyiyn) for p in report.pairs),
             "trades": sum(p.trades for p in report.pairs)}
    declared = {"volume_tyiyn": int(report.totals.volume_tyiyn), "trades": report.totals.trades}
    wrong = [name for name in found if found[name] != declared[name]]
    if wrong:
        details = "; ".join(f"totals.{name} is {declared[name]}, the lines sum to {found[name]}" for name in wrong)
        raise SumsMismatch(details, totals={name: {"declared": str(declared[name]), "sum": str(found[name])}
                                            for name in wrong})


def check_assets(symbols: list[str], assets: AssetStatus) -> None:
    """`AssetRefused` naming each digital asset the register does not hold or has delisted."""
    refused = {}
    for symbol in symbols:
        if symbol in FIAT_CURRENCIES:
            continue
        state = assets.asset_state(symbol)
        if state not in REPORTABLE_STATES:
            refused[symbol] = state.value
    if refused:
        named = ", ".join(f"{symbol} ({state})" for symbol, state in sorted(refused.items()))
        raise AssetRefused(f"not registered digital assets: {named}", assets=refused)
