"""One error hierarchy: every domain error is of exactly one kind, and the public problem
types (slug and status) the API answered with before the kernel are unchanged."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from digisom.cbdc import errors as cbdc
from digisom.cbdc import qr
from digisom.compliance import errors as compliance
from digisom.disbursement import model as disbursement
from digisom.disbursement import parsing, taxes
from digisom.interbank import errors as interbank
from digisom.kernel import errors as kinds
from digisom.kernel.errors import KINDS, DomainError, kind_of
from digisom.kernel.gateway import DebitNotAllowed
from digisom.merchants import errors as merchants
from digisom.offline.errors import OfflineError, Reason
from digisom.registry.register import RegisterConflict
from digisom.remittance import errors as remittance
from digisom.stablecoin import errors as stablecoin
from digisom.travelrule import errors as travelrule
from digisom.usdkg import errors as usdkg
from digisom.vasp_reports import errors as vasp_reports

# Bases of a domain's errors, and the replay of a stored error: of no kind themselves.
BASES = frozenset({cbdc.CbdcError, interbank.RtgsError, stablecoin.StablecoinError, disbursement.DisbursementError,
                   usdkg.UsdkgError, compliance.ComplianceError, remittance.RemittanceError,
                   vasp_reports.VaspReportError, travelrule.TravelRuleError, merchants.MerchantError,
                   cbdc.ReplayedError})
PACKAGE_DIR = Path(__file__).resolve().parents[2] / "src" / "digisom"
# The composition root, the HTTP toolkit and every domain's routes.
HTTP_MODULES = sorted([*PACKAGE_DIR.glob("api/*.py"), *PACKAGE_DIR.glob("http/*.py"), *PACKAGE_DIR.glob("*/http/*.py")])

# (class, status, slug) as the API answered before the kernel (its per-router tables).
PUBLIC: list[tuple[type[DomainError], int, str]] = [
    (cbdc.InvalidRequest, 422, "invalid-request"),
    (cbdc.NotFound, 404, "not-found"),
    (cbdc.Forbidden, 403, "forbidden"),
    (cbdc.Conflict, 409, "conflict"),
    (cbdc.WalletFrozen, 409, "wallet-frozen"),
    (cbdc.WalletClosed, 409, "wallet-closed"),
    (cbdc.InsufficientFunds, 409, "insufficient-funds"),
    (cbdc.LimitExceeded, 422, "limit-exceeded"),
    (cbdc.MerchantCategoryNotAllowed, 422, "merchant-category-not-allowed"),
    (cbdc.BenefitExpired, 409, "benefit-expired"),
    (cbdc.BenefitNotExpired, 409, "benefit-not-expired"),
    (cbdc.IdRetired, 409, "retry-with-new-key"),
    (cbdc.LedgerRefused, 409, "ledger-refused"),
    (qr.QrBadChecksum, 422, "invalid-qr"),
    (interbank.NotYourBank, 403, "forbidden"),
    (interbank.UnknownBank, 404, "not-found"),
    (interbank.RtgsConflict, 409, "conflict"),
    (interbank.DayNotOver, 409, "day-not-over"),
    (interbank.InvalidRequest, 422, "invalid-request"),
    (disbursement.NotFound, 404, "not-found"),
    (disbursement.AlreadyExists, 409, "conflict"),
    (disbursement.DualControl, 403, "dual-control"),
    (disbursement.WrongState, 409, "wrong-state"),
    (disbursement.KeyReused, 422, "idempotency-key-reused"),
    (taxes.InvalidReference, 422, "invalid-reference"),
    (taxes.PaymentRefused, 409, "payment-refused"),
    (disbursement.ReturnRefused, 409, "return-refused"),
    (disbursement.OverBudget, 409, "over-budget"),
    (disbursement.SourceWalletRefused, 422, "source-wallet-refused"),
    (DebitNotAllowed, 409, "debit-not-allowed"),
    (disbursement.InvalidInput, 422, "invalid-request"),
    (parsing.FileRefused, 422, "file-refused"),
    (stablecoin.InvalidAddress, 422, "invalid-address"),
    (stablecoin.InvalidAmount, 422, "invalid-amount"),
    (stablecoin.UnknownWallet, 422, "unknown-wallet"),
    (stablecoin.AddressNotLinked, 409, "address-linked-elsewhere"),
    (stablecoin.InsufficientFunds, 409, "insufficient-funds"),
    (stablecoin.OperationConflict, 409, "idempotency-conflict"),
    (stablecoin.OperationNotFound, 404, "not-found"),
    (stablecoin.TokenRefused, 409, "token-refused"),
    (stablecoin.NonceTaken, 409, "nonce-taken"),
    (stablecoin.BroadcastRefused, 503, "broadcast-refused"),
    (RegisterConflict, 409, "conflict"),
]


def _all_subclasses(cls: type[DomainError]) -> set[type[DomainError]]:
    found: set[type[DomainError]] = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _all_subclasses(sub)
    return found


def test_every_domain_error_is_of_exactly_one_kind() -> None:
    domain_classes = _all_subclasses(DomainError) - set(KINDS) - BASES
    assert {cls for cls, _, _ in PUBLIC} <= domain_classes
    for cls in domain_classes:
        assert sum(issubclass(cls, kind) for kind in KINDS) == 1, f"{cls.__qualname__} needs exactly one kind"
        assert kind_of(cls) is not None
        assert cls.slug and cls.title and 400 <= cls.status < 600, cls


@pytest.mark.parametrize(("cls", "status", "slug"), PUBLIC, ids=lambda v: getattr(v, "__qualname__", str(v)))
def test_the_public_problem_types_are_unchanged(cls: type[DomainError], status: int, slug: str) -> None:
    assert (cls.status, cls.slug) == (status, slug)


def test_offline_reasons_keep_their_status_and_the_uniform_not_found_detail() -> None:
    unknown_wallet = OfflineError(Reason.UNKNOWN_WALLET, "w123 of bank B")
    assert (unknown_wallet.status, unknown_wallet.slug) == (404, "offline-unknown-wallet")
    assert unknown_wallet.problem_detail() == kinds.NO_SUCH_WALLET == cbdc.NO_SUCH_WALLET
    assert unknown_wallet.extensions == {"reason": "unknown_wallet"}
    assert OfflineError(Reason.BAD_SIGNATURE).status == 401
    assert OfflineError(Reason.TOO_LARGE).status == 413
    malformed = OfflineError(Reason.MALFORMED, "not base64")
    assert (malformed.status, malformed.title, malformed.problem_detail()) == (422, "Malformed", "not base64")
    assert kind_of(OfflineError) is kinds.Invalid


def test_only_idempotent_domains_store_their_refusals_with_the_key() -> None:
    assert cbdc.WalletFrozen.stored_with_key and disbursement.WrongState.stored_with_key
    assert not interbank.UnknownBank.stored_with_key and not OfflineError.stored_with_key


def test_the_api_maps_errors_to_problems_in_one_module() -> None:
    """Only http/problems.py registers exception handlers, and no other HTTP module catches
    a domain error to build a problem of its own (idempotency.py stores the one map's)."""
    domain_names = {cls.__name__ for cls in _all_subclasses(DomainError)} | {"DomainError"}
    problem_builders = {"problem_response", "ApiProblem", "JSONResponse"}
    assert len(HTTP_MODULES) > 30  # the globs find the route modules
    for path in HTTP_MODULES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "add_exception_handler":
                assert path.name == "problems.py", f"{path.name} registers an exception handler"
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)} & domain_names
                called = {n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
                          for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.Call)}
                assert not (caught and called & problem_builders), f"{path.name}:{node.lineno} maps {caught} itself"
