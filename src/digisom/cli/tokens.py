"""`digisom token`: API bearer tokens, issued and revoked (docs/operations.md, "Tokens").

    digisom token issue --role ROLE --subject SUBJECT [--bank B] [--ttl-s N] [--data DIR | --key PEM]
    digisom token revoke --jti JTI --reason TEXT [--data DIR | --db URL]
    digisom token revoke --subject SUBJECT [--bank B] --reason TEXT [--data DIR | --db URL]
    digisom token revocations list [--data DIR | --db URL]
    digisom token revocations prune [--data DIR | --db URL]

`revoke --jti` revokes one token; `revoke --subject` every token of that subject (at bank
B, or at any bank) issued up to now. Every process of the server refuses them within
`REVOCATIONS_REFRESH_S`. Each prints the revocation as one JSON line; revoking again is no
error. `list` prints those in force as JSON lines, `prune` deletes the rows that revoke
nothing still valid. Bad input prints one error line and exits 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Final

import typer

from digisom.api.runtime import database_url, domain_engine
from digisom.api.signing_key import load_key, load_or_create_key
from digisom.cli.serve import DEFAULT_DATA_DIR, DataOption, KeyOption
from digisom.http.auth import TOKEN_TTL_S_DEFAULT, TokenError, TokenIssuer
from digisom.http.migrations import migrate
from digisom.http.revocations import (
    Cutoff,
    InvalidRevocation,
    RevocationStore,
    RevokedToken,
    checked_bank,
    checked_jti,
    checked_reason,
    checked_subject,
)
from digisom.kernel.access import Role

token_app = typer.Typer(help="API tokens for operators, integrators and tests: issue and revoke.",
                        no_args_is_help=True)
revocations_app = typer.Typer(help="The revocations in force: list and prune.", no_args_is_help=True)
token_app.add_typer(revocations_app, name="revocations")

EXIT_REFUSED: Final = 2
REVOKED_BY: Final = "cli"  # who revoked, as the rows record it
DbOption = Annotated[str | None, typer.Option("--db", help="postgresql://... instead of the data dir's SQLite.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_REFUSED)


@token_app.command("issue")
def issue_token(
    role: Annotated[Role, typer.Option("--role", help="The token's role.")],
    subject: Annotated[str, typer.Option("--subject", help="Who: an operator id, or a wallet holder's id.")],
    bank: Annotated[str | None, typer.Option("--bank", help="Bank code (bank_operator, wallet_holder).")] = None,
    ttl_s: Annotated[int, typer.Option("--ttl-s", help="Lifetime in seconds.")] = TOKEN_TTL_S_DEFAULT,
    data: DataOption = DEFAULT_DATA_DIR,
    key: KeyOption = None,
) -> None:
    """Print a token signed with the server's key."""
    signing_key = load_key(key) if key else load_or_create_key(data)
    try:
        typer.echo(TokenIssuer(signing_key).issue(role, subject, bank, ttl_s))
    except TokenError as error:
        raise _fail(str(error)) from None


@contextmanager
def _store(data: DataOption, db: str | None) -> Iterator[RevocationStore]:
    engine = domain_engine(database_url(data, db))
    try:
        migrate(engine)
        yield RevocationStore(engine)
    finally:
        engine.dispose()


def _iso(at_s: int) -> str:
    return datetime.fromtimestamp(at_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(row: RevokedToken | Cutoff) -> str:
    common = {"revoked_at": _iso(row.revoked_at_s), "expires_at": _iso(row.expires_at_s), "reason": row.reason,
              "revoked_by": row.revoked_by}
    if isinstance(row, RevokedToken):
        return json.dumps({"kind": "token", "jti": row.jti, "subject": row.subject, **common}, ensure_ascii=False)
    return json.dumps({"kind": "subject", "subject": row.subject, "bank_code": row.bank_code,
                       "issued_before": _iso(row.issued_before_s), **common}, ensure_ascii=False)


@token_app.command("revoke")
def revoke(
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the revocation).")],
    jti: Annotated[str | None, typer.Option("--jti", help="Revoke the token with this id (its jti claim).")] = None,
    subject: Annotated[str | None, typer.Option(
        "--subject", help="Revoke every token of this subject issued up to now.")] = None,
    bank: Annotated[str | None, typer.Option(
        "--bank", help="With --subject: only its tokens at this bank (default: at any bank).")] = None,
    data: DataOption = DEFAULT_DATA_DIR,
    db: DbOption = None,
) -> None:
    """Revoke a token (`--jti`) or a subject's tokens issued up to now (`--subject`); print the revocation."""
    if (jti is None) == (subject is None):
        raise _fail("give exactly one of --jti, --subject")
    if bank is not None and subject is None:
        raise _fail("--bank goes with --subject")
    try:  # before the database is opened (the store checks them again)
        checked_reason(reason)
        if jti is not None:
            checked_jti(jti)
        if subject is not None:
            checked_subject(subject)
        if bank is not None:
            checked_bank(bank)
    except InvalidRevocation as error:
        raise _fail(str(error)) from None
    with _store(data, db) as store:
        row = (store.revoke_token(jti, reason, REVOKED_BY) if jti is not None
               else store.cut_off(str(subject), bank, reason, REVOKED_BY))
    typer.echo(_line(row))


@revocations_app.command("list")
def list_revocations(data: DataOption = DEFAULT_DATA_DIR, db: DbOption = None) -> None:
    """Print the revocations in force, one JSON object a line, newest first (tokens, then subjects)."""
    with _store(data, db) as store:
        tokens, cutoffs = store.listed()
    rows: list[RevokedToken | Cutoff] = [*tokens, *cutoffs]
    for row in rows:
        typer.echo(_line(row))


@revocations_app.command("prune")
def prune(data: DataOption = DEFAULT_DATA_DIR, db: DbOption = None) -> None:
    """Delete the revocations that revoke no token still valid; print how many."""
    with _store(data, db) as store:
        typer.echo(json.dumps({"pruned": store.prune()}))
