"""The volume reports' typed errors: each is of one kind (`digisom.kernel.errors`) and
names a stable problem slug, prefixed `vasp-report-`, so every refusal says which rule said no.

A refusal writes nothing, so none is kept as an idempotency key's answer: the same key
may be retried once the cause is gone (a licence granted, an asset registered)."""

from __future__ import annotations

from typing import Any

from digisom.kernel import errors as kinds


class VaspReportError(kinds.DomainError):
    """Base of the volume reports' refusals: nothing is stored."""

    stored_with_key = False


class InvalidReport(VaspReportError, kinds.Invalid):
    """The report breaks its format: a field missing, unknown, not an integer, negative,
    out of order. `errors` lists each as {"field", "rule", "detail"}."""

    slug = "vasp-report-invalid"
    title = "The report is not in the required format"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first['field']}: {first['detail']}{more}", errors=errors)
        self.errors = errors


class PeriodRefused(VaspReportError, kinds.Invalid):
    """The period is not one the VASP can report: not a finished month, or before its licence."""

    slug = "vasp-report-period-refused"
    title = "The report's period cannot be reported"


class SumsMismatch(VaspReportError, kinds.Invalid):
    """A declared total differs from the sum of the report's lines."""

    slug = "vasp-report-sums-mismatch"
    title = "A declared total is not the sum of the lines"


class AssetRefused(VaspReportError, kinds.Invalid):
    """A pair or an asset line names an asset that is not in the register, or is delisted."""

    slug = "vasp-report-asset-refused"
    title = "The report names an asset that is not registered"


class NotLicensed(VaspReportError, kinds.Forbidden):
    """The VASP has no licence, or its licence is suspended or revoked."""

    slug = "vasp-report-not-licensed"
    title = "The VASP is not licensed to report"


class BadSignature(VaspReportError, kinds.Forbidden):
    """The signature does not verify under the public key of the VASP's licence."""

    slug = "vasp-report-bad-signature"
    title = "The report is not signed with the VASP's licence key"


class VersionConflict(VaspReportError, kinds.Conflict):
    """The report's version is not the next one for its VASP and period (a version is
    never replaced; an amendment is the next version, with a reason)."""

    slug = "vasp-report-version-conflict"
    title = "The report's version is not the next one"


class UnknownVasp(VaspReportError, kinds.NotFound):
    """The path names a VASP the caller does not operate (the same answer as none at all)."""

    slug = "not-found"
    title = "Not found"


class FileTooLarge(VaspReportError, kinds.Invalid):
    """An uploaded CSV over its size or row limit."""

    slug = "vasp-report-file-too-large"
    title = "The file is over its size limit"
    status = 413


class MalformedCsv(VaspReportError, kinds.Invalid):
    """The CSV upload is not in the documented format (its row, kind and column named)."""

    slug = "vasp-report-malformed-csv"
    title = "The CSV is not in the report format"


class MalformedExport(VaspReportError, kinds.Invalid):
    """A published export that does not parse as one (recomputation)."""

    slug = "vasp-report-malformed-export"
    title = "The export is not in the published format"
