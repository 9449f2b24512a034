"""The published export of a month and its recomputation by anyone.

The export holds every version of every report of the month (each with its signature,
the licence key it was verified under, when it arrived and whether late) and the
published aggregates. `recompute` checks every signature, that each VASP's versions run
1, 2, 3... with none missing, derives the aggregates again from the latest versions
(`aggregates.py`) and says whether they equal the published ones."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from digisom.vasp_reports import signing
from digisom.vasp_reports.aggregates import aggregates
from digisom.vasp_reports.errors import InvalidReport, MalformedExport
from digisom.vasp_reports.model import StoredVersion
from digisom.vasp_reports.report import Report, parse_report

EXPORT_FORMAT: Final = "digisom-vasp-reports-export-v1"


def version_json(stored: StoredVersion) -> dict[str, Any]:
    """One version as published: the signed report, its signature and key (hex)."""
    return {"report": stored.report.model_dump(mode="json"), "signature": stored.signature.hex(),
            "public_key": stored.public_key.hex(), "channel": stored.channel.value,
            "received_at": stored.received_at, "late": stored.late}


def export_json(periods: Iterable[str], stored: Iterable[StoredVersion]) -> dict[str, Any]:
    """The export of `periods`: every version in `stored`, and the aggregates."""
    versions = list(stored)
    published = {entry["period"]: entry for entry in aggregates(v.report for v in versions)}
    chosen = sorted(set(periods))
    return {"format": EXPORT_FORMAT, "periods": chosen,
            "reports": [version_json(v) for v in sorted(versions, key=lambda v: v.key)],
            "aggregates": [published.get(period) or aggregates_of_nothing(period) for period in chosen]}


def aggregates_of_nothing(period: str) -> dict[str, Any]:
    """A month no VASP has reported."""
    return {"period": period, "reports": 0, "volume_tyiyn": "0", "trades": 0, "customers": 0, "pairs": [],
            "assets": []}


@dataclass(frozen=True, slots=True)
class Recomputation:
    """What an outsider's recomputation found."""

    reports: int
    problems: list[str]
    aggregates: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        """Every signature verified, no version missing, and the aggregates are the published ones."""
        return not self.problems


def _hex(value: Any, what: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError):
        raise MalformedExport(f"{what} is not hex") from None


def recompute(document: Any) -> Recomputation:
    """Check and recompute a published export (parsed JSON); `MalformedExport` if it is not one."""
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise MalformedExport(f"not an export: its format must be {EXPORT_FORMAT}")
    entries, published, periods = document.get("reports"), document.get("aggregates"), document.get("periods")
    if not isinstance(entries, list) or not isinstance(published, list) or not isinstance(periods, list):
        raise MalformedExport("an export has lists `periods`, `reports` and `aggregates`")
    problems: list[str] = []
    reports: list[Report] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise MalformedExport(f"reports[{index}] is not an object")
        try:
            report = parse_report(entry.get("report"))
        except InvalidReport as error:
            raise MalformedExport(f"reports[{index}]: {error.detail}") from None
        name = f"{report.vasp_id} {report.period} version {report.version}"
        key, signature = _hex(entry.get("public_key"), f"{name}: public_key"), _hex(entry.get("signature"),
                                                                                   f"{name}: signature")
        if not signing.verifies(key, signature, report):
            problems.append(f"{name}: the signature does not verify under the key given")
        reports.append(report)
    problems.extend(_version_gaps(reports))
    derived = {entry["period"]: entry for entry in aggregates(reports)}
    recomputed = [derived.get(str(period)) or aggregates_of_nothing(str(period)) for period in sorted(periods)]
    by_period = {entry.get("period"): entry for entry in published if isinstance(entry, dict)}
    for entry in recomputed:
        if by_period.get(entry["period"]) != entry:
            problems.append(f"{entry['period']}: the published aggregates differ from the recomputed ones")
    for period in sorted(set(by_period) - {entry["period"] for entry in recomputed}, key=str):
        problems.append(f"{period}: aggregates published for a period the export does not cover")
    return Recomputation(len(reports), problems, recomputed)


def _version_gaps(reports: Iterable[Report]) -> list[str]:
    seen: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
    for report in reports:
        seen[report.vasp_id, report.period].append(report.version)
    return [f"{vasp_id} {period}: versions {sorted(found)}, not 1..{len(found)} each once"
            for (vasp_id, period), found in sorted(seen.items()) if sorted(found) != list(range(1, len(found) + 1))]
