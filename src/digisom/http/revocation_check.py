"""The revocation check on every authenticated request: `RevokingVerifier` is the API's
`TokenVerifier` (signature and claims, `digisom.http.auth`) plus "not revoked".

Per request it costs a set and a dict lookup in this process's copy of the revocations
(`RevocationList`), reloaded from the database when it is older than `refresh_s`; so a
revocation written by any process holds in every process within `REVOCATIONS_REFRESH_S`.
A per-request database lookup was measured against it (docs/security.md, "Bearer tokens
revocable on the server"): the gate runs on the event loop, where a query per request would
block; the reload itself runs in a worker thread (`reads_next`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.exc import SQLAlchemyError

from digisom.http.auth import TokenError, TokenVerifier, VerifiedToken
from digisom.http.problems import ApiProblem
from digisom.http.revocations import Revocations, RevocationStore
from digisom.ledger.store import StoreUnavailable

# How stale a process's copy of the revocations may be: the longest a revoked token still works.
REVOCATIONS_REFRESH_S: Final = 2.0
REVOKED: Final = "token revoked"


class RevocationList:
    """This process's copy of the revocations, reloaded at most every `refresh_s` of
    `monotonic_s` (whichever request finds it stale reloads it; the others wait for that)."""

    def __init__(self, store: RevocationStore, refresh_s: float = REVOCATIONS_REFRESH_S,
                 monotonic_s: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._refresh_s = refresh_s
        self._monotonic_s = monotonic_s
        self._lock = threading.Lock()
        self._loaded: tuple[float, Revocations] | None = None

    def _fresh(self) -> Revocations | None:
        loaded = self._loaded
        if loaded is not None and self._monotonic_s() - loaded[0] < self._refresh_s:
            return loaded[1]
        return None

    def stale(self) -> bool:
        """Whether the next check reloads the copy (reads the database)."""
        return self._fresh() is None

    def current(self) -> Revocations:
        """The revocations, at most `refresh_s` old; a 503 problem if the database cannot
        be read (a token is never accepted unchecked)."""
        found = self._fresh()
        if found is not None:
            return found
        with self._lock:
            found = self._fresh()
            if found is not None:
                return found
            started_s = self._monotonic_s()  # as old as the moment the read began
            try:
                found = self._store.current()
            except (SQLAlchemyError, StoreUnavailable):
                raise ApiProblem(503, "unavailable", "The service cannot take this request now",
                                 "the token revocations cannot be read; retry later") from None
            self._loaded = (started_s, found)
            return found

    def refuse_revoked(self, token: VerifiedToken) -> None:
        """`TokenError` if `token` is revoked."""
        if self.current().revokes(token):
            raise TokenError(REVOKED)


@dataclass(frozen=True)
class RevokingVerifier(TokenVerifier):
    """`TokenVerifier` that also refuses revoked tokens, with the same `TokenError` (a 401)."""

    revocations: RevocationList = field(kw_only=True)

    def reads_next(self) -> bool:
        """Whether the next check reloads the revocations from the database."""
        return self.revocations.stale()

    def verified(self, token: str) -> VerifiedToken:
        """A valid, unrevoked token's actor, id and times, or `TokenError`."""
        checked = super().verified(token)
        self.revocations.refuse_revoked(checked)
        return checked
