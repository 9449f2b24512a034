"""`digisom console sessions`: the operator console's sign-in sessions (docs/console.md,
"Session").

    digisom console sessions list [--data DIR | --db URL]
    digisom console sessions revoke (--subject SUBJECT | --all) --reason TEXT [--tokens] [--data DIR | --db URL]
    digisom console sessions prune [--data DIR | --db URL]

`list` prints the live sessions as JSON lines (subject, role, bank, when signed in, when it
expires; never an id). `revoke` ends the live sessions of a subject, or all of them: the
next request of each is sent to the sign-in page, in every process of the server (the
sessions are rows of the platform's database). It prints how many ended; revoking again
ends none and is no error. With `--tokens` it also cuts off the API tokens of the subjects
it ends sessions for, every token issued up to now: `--subject`'s at any bank (as
`digisom token revoke --subject`), and with `--all` each live session's subject at that
session's bank. So the bearer token inside a session stops working too; it then also
prints the subjects cut off. `prune` deletes the expired rows (sign-in does too). A bad
subject or reason prints one error line and exits 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Final

import typer
from sqlalchemy import Engine

from digisom.api.runtime import database_url, domain_engine
from digisom.cli.serve import DEFAULT_DATA_DIR, DataOption
from digisom.cli.tokens import REVOKED_BY
from digisom.console.migrations import migrate
from digisom.console.sessions import (
    InvalidSessionRequest,
    SessionRecord,
    SessionStore,
    checked_reason,
    checked_subject,
)
from digisom.http import migrations as http_migrations
from digisom.http.revocations import RevocationStore

console_app = typer.Typer(help="The operator console: its sign-in sessions.", no_args_is_help=True)
sessions_app = typer.Typer(help="List, revoke and prune console sessions.", no_args_is_help=True)
console_app.add_typer(sessions_app, name="sessions")

EXIT_REFUSED: Final = 2
DbOption = Annotated[str | None, typer.Option("--db", help="postgresql://... instead of the data dir's SQLite.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_REFUSED)


@contextmanager
def _store(data: DataOption, db: str | None) -> Iterator[SessionStore]:
    with _engine(data, db) as engine:
        yield SessionStore(engine)


@contextmanager
def _engine(data: DataOption, db: str | None) -> Iterator[Engine]:
    engine = domain_engine(database_url(data, db))
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()


def _iso(at_s: int) -> str:
    return datetime.fromtimestamp(at_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(record: SessionRecord) -> str:
    return json.dumps({"subject": record.subject, "role": record.role, "bank_code": record.bank_code,
                       "created_at": _iso(record.created_at_s), "expires_at": _iso(record.expires_at_s)},
                      ensure_ascii=False)


@sessions_app.command("list")
def list_sessions(data: DataOption = DEFAULT_DATA_DIR, db: DbOption = None) -> None:
    """Print the live sessions, one JSON object a line, by subject."""
    with _store(data, db) as store:
        for record in store.active():
            typer.echo(_line(record))


@sessions_app.command("revoke")
def revoke(
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with each revoked session).")],
    subject: Annotated[str | None, typer.Option("--subject", help="End this subject's sessions.")] = None,
    every: Annotated[bool, typer.Option("--all", help="End every live session.")] = False,
    tokens: Annotated[bool, typer.Option(
        "--tokens", help="Also revoke the API tokens of the ended sessions' subjects issued up to now.")] = False,
    data: DataOption = DEFAULT_DATA_DIR,
    db: DbOption = None,
) -> None:
    """End the live sessions of `--subject`, or `--all`; print how many ended."""
    if (subject is None) == (not every):
        raise _fail("give exactly one of --subject, --all")
    try:  # before the database is opened (the store checks them again)
        checked_reason(reason)
        if subject is not None:
            checked_subject(subject)
    except InvalidSessionRequest as error:
        raise _fail(str(error)) from None
    with _engine(data, db) as engine:
        store = SessionStore(engine)
        # Read before they end: with --all, the subjects whose tokens --tokens cuts off.
        live = store.active() if tokens and subject is None else []
        ended = store.revoke_subject(subject, reason) if subject is not None else store.revoke_all(reason)
        if not tokens:
            typer.echo(json.dumps({"revoked": ended}))
            return
        # Each command is idempotent, so a run stopped between the two writes is finished
        # by running it again.
        http_migrations.migrate(engine)
        revocations = RevocationStore(engine)
        # One subject: its tokens at any bank, live session or not (as `token revoke
        # --subject` without `--bank`). Every session: each subject at its session's bank.
        holders = ([(subject, None)] if subject is not None
                   else sorted({(r.subject, r.bank_code) for r in live}, key=lambda h: (h[0], h[1] or "")))
        for holder, bank_code in holders:
            revocations.cut_off(holder, bank_code, reason, REVOKED_BY)
    typer.echo(json.dumps({"revoked": ended, "tokens_cut_off": [holder for holder, _ in holders]}))


@sessions_app.command("prune")
def prune(data: DataOption = DEFAULT_DATA_DIR, db: DbOption = None) -> None:
    """Delete the expired sessions' rows; print how many."""
    with _store(data, db) as store:
        typer.echo(json.dumps({"pruned": store.prune()}))
