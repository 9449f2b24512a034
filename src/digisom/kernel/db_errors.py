"""What kind of integrity error the database raised: a lost race on a key (retry, or read
the row the other writer made) is a unique violation; a CHECK, NOT NULL or foreign key
violation is a broken rule that no retry mends."""

from __future__ import annotations

from typing import Final

from sqlalchemy.exc import IntegrityError

UNIQUE_VIOLATION_SQLSTATE: Final = "23505"  # PostgreSQL's unique_violation (primary keys too)
SQLITE_UNIQUE_ERRORS: Final = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


def is_unique_violation(error: IntegrityError) -> bool:
    """True when `error` is a unique or primary-key violation, on PostgreSQL (psycopg's
    `sqlstate`) or SQLite (`sqlite_errorname`, Python 3.11+)."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate is not None:
        return bool(sqlstate == UNIQUE_VIOLATION_SQLSTATE)
    return getattr(error.orig, "sqlite_errorname", "") in SQLITE_UNIQUE_ERRORS


def reraise_unless_unique(error: IntegrityError) -> None:
    """Raise `error` again unless it is a unique or primary-key violation. Called first in an
    `except IntegrityError` that takes the error for a duplicate or a lost race, so that a
    broken CHECK, NOT NULL or foreign key is not answered as one."""
    if not is_unique_violation(error):
        raise error
