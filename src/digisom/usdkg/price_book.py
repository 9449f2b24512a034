"""The price history and the current price: every price read is kept (with the digest of
the bytes it came from); the current price is the newest by `as_of`, refused once older
than the staleness limit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import Connection, Engine, select

from digisom.kernel.clock import iso_utc
from digisom.usdkg import tables
from digisom.usdkg.errors import InvalidPrice, NoPrice, StalePrice
from digisom.usdkg.model import PriceQuote
from digisom.usdkg.prices import PriceSource

# A price "from the future" beyond this is a clock or a source gone wrong.
CLOCK_SKEW_S: Final = 300
HISTORY_PAGE_MAX: Final = 1000


@dataclass(frozen=True, slots=True)
class PriceBook:
    """Prices on the issuer's database; `staleness_s` is how old the current one may be."""

    engine: Engine
    staleness_s: int

    def record(self, quote: PriceQuote, evidence: bytes, now: datetime) -> int:
        """Keep `quote`; returns its id."""
        if quote.price_cents_per_oz <= 0:
            raise InvalidPrice("the price must be positive")
        if quote.as_of > now + timedelta(seconds=CLOCK_SKEW_S):
            raise InvalidPrice(f"the price is as of {iso_utc(quote.as_of)}, after now")
        with self.engine.begin() as conn:
            inserted = conn.execute(
                tables.prices.insert().values(
                    source=quote.source[:32],
                    price_cents_per_oz=quote.price_cents_per_oz,
                    as_of=iso_utc(quote.as_of),
                    recorded_at=iso_utc(now),
                    evidence_sha256=hashlib.sha256(evidence).hexdigest(),
                )
            )
        key = inserted.inserted_primary_key
        return int(key[0]) if key is not None else 0

    def update_from(self, source: PriceSource, now: datetime) -> PriceQuote:
        """Read `source` and keep what it says."""
        quote, evidence = source.read()
        self.record(quote, evidence, now)
        return quote

    def latest(self, conn: Connection | None = None) -> PriceQuote | None:
        """The newest price by `as_of`, stale or not."""
        query = select(tables.prices).order_by(tables.prices.c.as_of.desc(), tables.prices.c.price_id.desc()).limit(1)
        if conn is None:
            with self.engine.connect() as own:
                row = own.execute(query).mappings().first()
        else:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        return PriceQuote(int(row["price_cents_per_oz"]), _parse(row["as_of"]), row["source"])

    def is_stale(self, quote: PriceQuote, now: datetime) -> bool:
        """Whether `quote` is older than the limit."""
        return now - quote.as_of > timedelta(seconds=self.staleness_s)

    def current(self, now: datetime, conn: Connection | None = None) -> PriceQuote:
        """The newest price, refused if there is none or it is stale."""
        quote = self.latest(conn)
        if quote is None:
            raise NoPrice("no gold price is recorded")
        if self.is_stale(quote, now):
            raise StalePrice(
                f"the newest price is as of {iso_utc(quote.as_of)}, older than {self.staleness_s} s",
                as_of=iso_utc(quote.as_of),
                staleness_s=self.staleness_s,
            )
        return quote

    def history(self, limit: int = 100) -> list[PriceQuote]:
        """The newest `limit` prices, newest first."""
        query = (
            select(tables.prices)
            .order_by(tables.prices.c.as_of.desc(), tables.prices.c.price_id.desc())
            .limit(min(limit, HISTORY_PAGE_MAX))
        )
        with self.engine.connect() as conn:
            return [
                PriceQuote(int(r["price_cents_per_oz"]), _parse(r["as_of"]), r["source"])
                for r in conn.execute(query).mappings()
            ]


def _parse(stored: str) -> datetime:
    return datetime.fromisoformat(stored.replace("Z", "+00:00")).astimezone(UTC)
