"""Revoked bearer tokens, on the server: by id (`jti`), or by a subject's cut-off ("every
token of this subject issued before now"), for a leak whose token id nobody knows.

The rows are in the platform's database (`http_revoked_tokens`, `http_token_cutoffs`),
so every process of `digisom serve --workers N` sees them; `revocation_check` reads them
into a per-process cache. A row is kept until no token it revokes can still be valid
(the verifier refuses any token living past `TOKEN_TTL_S_MAX`), then `prune` deletes it.
The CLI (`digisom token revoke`), the API (`/v1/tokens/revocations`) and the console's
sign-out all write through `RevocationStore`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import BigInteger, Engine, String, cast, delete, insert, literal, null, select, union_all, update
from sqlalchemy.exc import IntegrityError

from digisom.errors import DigisomError
from digisom.http import tables
from digisom.http.auth import BANK_CODE_CHARS_MAX, SUBJECT_CHARS_MAX, TOKEN_TTL_S_MAX, VerifiedToken
from digisom.http.services import Slot
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.kernel.text import refuse_control_chars

JTI_PATTERN: Final = re.compile(r"[0-9a-f]{32}")


class InvalidRevocation(DigisomError):
    """A revocation asked for with a bad token id, subject, bank code or reason."""


def checked_jti(jti: str) -> str:
    """`jti` as the issuer writes it (32 lowercase hex digits), or `InvalidRevocation`."""
    if not JTI_PATTERN.fullmatch(jti):
        raise InvalidRevocation("a token id (jti) is 32 lowercase hex digits")
    return jti


def _checked_name(value: str, what: str, chars_max: int) -> str:
    """`value` as a token's claim may carry it, or `InvalidRevocation`."""
    if not 0 < len(value) <= chars_max or value != value.strip():
        raise InvalidRevocation(f"a {what} is 1..{chars_max} characters with no surrounding spaces")
    try:
        return refuse_control_chars(value)
    except ValueError as error:
        raise InvalidRevocation(f"{what}: {error}") from None


def checked_subject(subject: str) -> str:
    """`subject` as a token carries it (`sub`), or `InvalidRevocation`."""
    return _checked_name(subject, "subject", SUBJECT_CHARS_MAX)


def checked_bank(bank_code: str) -> str:
    """A bank code as a token carries it (`bank`), or `InvalidRevocation`."""
    return _checked_name(bank_code, "bank code", BANK_CODE_CHARS_MAX)


def checked_reason(reason: str) -> str:
    """`reason` stripped, or `InvalidRevocation` if it is empty, too long or holds control characters."""
    reason = reason.strip()
    if not 0 < len(reason) <= tables.REASON_CHARS_MAX:
        raise InvalidRevocation(f"a reason needs 1..{tables.REASON_CHARS_MAX} characters")
    try:
        return refuse_control_chars(reason)
    except ValueError as error:
        raise InvalidRevocation(f"reason: {error}") from None


@dataclass(frozen=True, slots=True)
class RevokedToken:
    """A token revoked by its id."""

    jti: str
    subject: str | None
    expires_at_s: int
    revoked_at_s: int
    reason: str
    revoked_by: str


@dataclass(frozen=True, slots=True)
class Cutoff:
    """Every token of `subject` (at `bank_code`; None: at any bank) issued before `issued_before_s` is revoked."""

    subject: str
    bank_code: str | None
    issued_before_s: int
    expires_at_s: int
    revoked_at_s: int
    reason: str
    revoked_by: str


@dataclass(frozen=True, slots=True)
class Revocations:
    """What is revoked now: the revoked token ids and each (subject, bank) cut-off."""

    token_ids: frozenset[str]
    cutoffs_s: Mapping[tuple[str, str], int]

    def revokes(self, token: VerifiedToken) -> bool:
        """Whether `token` is revoked: its id, or a cut-off of its subject (at any bank or its own)."""
        if token.token_id is not None and token.token_id in self.token_ids:
            return True
        actor = token.actor
        for bank in {tables.ANY_BANK, actor.bank_code or tables.ANY_BANK}:
            cutoff_s = self.cutoffs_s.get((actor.subject, bank))
            if cutoff_s is not None and token.issued_at_s < cutoff_s:
                return True
        return False


class RevocationStore:
    """The revoked tokens and cut-offs in the platform's database."""

    def __init__(self, engine: Engine, now_s: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._now_s = now_s

    def _now(self) -> int:
        return int(self._now_s())

    def revoke_token(self, jti: str, reason: str, revoked_by: str, subject: str | None = None,
                     expires_at_s: int | None = None) -> RevokedToken:
        """Revoke the token with id `jti`; its row (revoking again changes nothing: the first
        reason is kept). Without the token's `expires_at_s` the row is kept for the longest
        any token may still live."""
        jti, reason = checked_jti(jti), checked_reason(reason)
        now = self._now()
        until_s = now + TOKEN_TTL_S_MAX if expires_at_s is None else max(now, expires_at_s)
        r = tables.revoked_tokens
        try:
            with self._engine.begin() as conn:
                if conn.execute(select(r.c.jti).where(r.c.jti == jti)).first() is None:
                    conn.execute(insert(r).values(jti=jti, subject=subject, expires_at_s=until_s, revoked_at_s=now,
                                                  reason=reason, revoked_by=revoked_by))
        except IntegrityError as error:
            reraise_unless_unique(error)  # else another process revoked it at the same moment
        with self._engine.begin() as conn:
            return _revoked_token(conn.execute(select(r).where(r.c.jti == jti)).one())

    def cut_off(self, subject: str, bank_code: str | None, reason: str, revoked_by: str) -> Cutoff:
        """Revoke every token of `subject` (at `bank_code`, or at any bank) issued up to now:
        those issued before the next whole second, as `iat` counts seconds. A later cut-off
        of the same subject and bank replaces an earlier one."""
        subject, reason = checked_subject(subject), checked_reason(reason)
        bank = tables.ANY_BANK if bank_code is None else checked_bank(bank_code)
        now = self._now()
        before_s = now + 1
        t = tables.token_cutoffs
        values = {"issued_before_s": before_s, "expires_at_s": before_s + TOKEN_TTL_S_MAX, "revoked_at_s": now,
                  "reason": reason, "revoked_by": revoked_by}
        which = (t.c.subject == subject) & (t.c.bank_code == bank)
        for _attempt in range(2):  # a concurrent first cut-off of the same key: update theirs
            try:
                with self._engine.begin() as conn:
                    found = conn.execute(select(t.c.issued_before_s).where(which)).first()
                    if found is None:
                        conn.execute(insert(t).values(subject=subject, bank_code=bank, **values))
                    elif found.issued_before_s < before_s:
                        conn.execute(update(t).where(which & (t.c.issued_before_s < before_s)).values(**values))
                    row = conn.execute(select(t).where(which)).one()
                return _cutoff(row)
            except IntegrityError as error:
                reraise_unless_unique(error)
        raise RuntimeError("a cut-off's row neither inserted nor found")  # pragma: no cover

    def current(self) -> Revocations:
        """What is revoked now (unexpired rows only): what the verifier's cache holds."""
        now = self._now()
        with self._engine.begin() as conn:
            ids = conn.execute(select(tables.revoked_tokens.c.jti)
                               .where(tables.revoked_tokens.c.expires_at_s > now)).scalars().all()
            t = tables.token_cutoffs
            cutoffs = conn.execute(select(t.c.subject, t.c.bank_code, t.c.issued_before_s)
                                   .where(t.c.expires_at_s > now)).all()
        return Revocations(frozenset(ids), {(row.subject, row.bank_code): row.issued_before_s for row in cutoffs})

    def listed(self) -> tuple[list[RevokedToken], list[Cutoff]]:
        """The unexpired revocations, newest first."""
        now = self._now()
        r, t = tables.revoked_tokens, tables.token_cutoffs
        with self._engine.begin() as conn:
            ids = conn.execute(select(r).where(r.c.expires_at_s > now)
                               .order_by(r.c.revoked_at_s.desc(), r.c.jti)).all()
            cutoffs = conn.execute(select(t).where(t.c.expires_at_s > now)
                                   .order_by(t.c.revoked_at_s.desc(), t.c.subject, t.c.bank_code)).all()
        return [_revoked_token(row) for row in ids], [_cutoff(row) for row in cutoffs]

    def page(self, offset: int, limit: int) -> list[RevokedToken | Cutoff]:
        """Up to `limit` unexpired revocations from the `offset`-th, tokens and subjects'
        cut-offs together, newest first (one made while a reader pages repeats one on the
        next page, never skips one)."""
        now = self._now()
        r, t = tables.revoked_tokens, tables.token_cutoffs
        tokens = select(literal("token").label("kind"), r.c.jti, r.c.subject,
                        cast(null(), String).label("bank_code"), cast(null(), BigInteger).label("issued_before_s"),
                        r.c.expires_at_s, r.c.revoked_at_s, r.c.reason, r.c.revoked_by).where(r.c.expires_at_s > now)
        cutoffs = select(literal("subject").label("kind"), cast(null(), String).label("jti"), t.c.subject,
                         t.c.bank_code, t.c.issued_before_s, t.c.expires_at_s, t.c.revoked_at_s, t.c.reason,
                         t.c.revoked_by).where(t.c.expires_at_s > now)
        both = union_all(tokens, cutoffs).subquery()
        query = (select(both).order_by(both.c.revoked_at_s.desc(), both.c.kind, both.c.jti, both.c.subject,
                                       both.c.bank_code).offset(offset).limit(limit))
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_revoked_token(row) if row.kind == "token" else _cutoff(row) for row in rows]

    def prune(self) -> int:
        """Delete the rows that revoke no token that could still be valid; how many."""
        now = self._now()
        with self._engine.begin() as conn:
            gone = conn.execute(delete(tables.revoked_tokens).where(tables.revoked_tokens.c.expires_at_s <= now))
            cut = conn.execute(delete(tables.token_cutoffs).where(tables.token_cutoffs.c.expires_at_s <= now))
        return int(gone.rowcount) + int(cut.rowcount)


def _revoked_token(row: object) -> RevokedToken:
    m = row._mapping  # type: ignore[attr-defined]
    return RevokedToken(m["jti"], m["subject"], m["expires_at_s"], m["revoked_at_s"], m["reason"], m["revoked_by"])


def _cutoff(row: object) -> Cutoff:
    m = row._mapping  # type: ignore[attr-defined]
    return Cutoff(m["subject"], m["bank_code"] or None, m["issued_before_s"], m["expires_at_s"], m["revoked_at_s"],
                  m["reason"], m["revoked_by"])


TOKEN_REVOCATIONS: Final = Slot[RevocationStore]("http.token_revocations")
