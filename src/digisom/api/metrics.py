"""The Prometheus metrics of one API process, and the readiness checks.

Two kinds of figures:
- observed in this process as they happen: HTTP latency by method, route template and
  status; each committed ledger batch's size and time from hand-off to commit. With
  `serve --workers N` each process has its own (a scrape reaches one process; label the
  targets per process, or scrape each worker's port in production).
- read from the database when scraped, the same in every process: the ledger writer's
  queue depth (live), the RTGS queue, offline payments by verdict and screening decisions
  by outcome. Those counts are cached for `STATE_TTL_S` so a scraper every few seconds
  costs the database one count per period; a source that cannot be read (its domain's
  tables not created yet, the database down) is reported as `digisom_metrics_source_up 0`
  rather than as a stale or made-up figure.

Each process builds its own registry (no module state: prometheus_client's default
registry is global, so it is not used).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Column, Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from digisom.compliance import tables as compliance_tables
from digisom.http.ops import Ops, ReadinessCheck
from digisom.interbank import tables as interbank_tables
from digisom.kernel.ttl_cache import TtlCache
from digisom.ledger.submitter import Submitter
from digisom.offline import tables as offline_tables

STATE_TTL_S: Final = 15.0
# Latency buckets from 1 ms to 30 s: a payment answers in milliseconds, a bulk upload in seconds.
HTTP_BUCKETS_S: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_EVENT_BUCKETS: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8190)
BATCH_BUCKETS_S: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
T = TypeVar("T")
UNKNOWN_VERDICT: Final = "deferred"  # an offline payment whose verdict is not known yet (NULL)


class PlatformMetrics:
    """The process's registry; observes requests (`RequestObserver`) and ledger batches (`BatchObserver`)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._http_s = Histogram("digisom_http_request_duration_seconds", "HTTP request latency",
                                 ["method", "route", "status"], registry=self.registry, buckets=HTTP_BUCKETS_S)
        self._batch_events = Histogram("digisom_ledger_batch_events", "Events per committed ledger batch",
                                       ["kind"], registry=self.registry, buckets=BATCH_EVENT_BUCKETS)
        self._batch_s = Histogram("digisom_ledger_batch_commit_seconds",
                                  "Time from handing a batch to the ledger to its commit", ["kind"],
                                  registry=self.registry, buckets=BATCH_BUCKETS_S)

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        self._http_s.labels(method, route, str(status)).observe(seconds)

    def batch_committed(self, kind: str, events: int, seconds: float) -> None:
        self._batch_events.labels(kind).observe(events)
        self._batch_s.labels(kind).observe(seconds)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


@dataclass(frozen=True, slots=True)
class _Counts:
    rtgs_queued: int | None
    offline_by_verdict: dict[str, int] | None
    screenings_by_decision: dict[str, int] | None


def _grouped(engine: Engine, column: Column[Any]) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(column, func.count()).group_by(column))
        return {str(key if key is not None else UNKNOWN_VERDICT): int(count) for key, count in rows}


def _read(read: Callable[[], T]) -> T | None:
    try:
        return read()
    except SQLAlchemyError:  # a source that cannot be read is reported down, not guessed
        return None


class StateCollector(Collector):
    """The figures read when scraped: the writer's queue, and the domains' counts (cached)."""

    def __init__(self, engine: Engine, submitter: Submitter, ttl_s: float = STATE_TTL_S,
                 clock_s: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._submitter = submitter
        self._cache: TtlCache[_Counts] = TtlCache(ttl_s, clock_s)

    def _counts(self) -> _Counts:
        payments = interbank_tables.payments

        def queued() -> int:
            with self._engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(payments)
                                        .where(payments.c.status == "queued")).scalar_one())

        return _Counts(
            _read(queued),
            _read(lambda: _grouped(self._engine, offline_tables.payments.c.verdict)),
            _read(lambda: _grouped(self._engine, compliance_tables.screenings.c.decision)),
        )

    def describe(self) -> Iterator[Metric]:
        """Nothing up front: the registry would otherwise collect (and cache the counts) on registration."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("digisom_ledger_writer_queue_depth", "Submissions waiting for the ledger's writer",
                                value=self._submitter.queue_depth())
        yield GaugeMetricFamily("digisom_ledger_writer_running", "1 while the ledger's writer takes work",
                                value=int(self._submitter.running()))
        counts = self._cache.get(self._counts)
        up = GaugeMetricFamily("digisom_metrics_source_up", "1 when the source's figures could be read",
                               labels=["source"])
        up.add_metric(["rtgs"], int(counts.rtgs_queued is not None))
        up.add_metric(["offline"], int(counts.offline_by_verdict is not None))
        up.add_metric(["screening"], int(counts.screenings_by_decision is not None))
        yield up
        if counts.rtgs_queued is not None:
            yield GaugeMetricFamily("digisom_rtgs_queue_length", "Interbank payments queued for settlement",
                                    value=counts.rtgs_queued)
        yield from _by_label("digisom_offline_payments", "Offline payments synced, by verdict", "verdict",
                             counts.offline_by_verdict)
        yield from _by_label("digisom_screening_decisions", "Screening decisions recorded, by decision", "decision",
                             counts.screenings_by_decision)


def _by_label(name: str, documentation: str, label: str, counts: dict[str, int] | None) -> Iterator[Metric]:
    if counts is None:
        return
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, count in sorted(counts.items()):
        family.add_metric([key], count)
    yield family


def database_answers(engine: Engine) -> Callable[[], bool]:
    """A readiness check: the database runs a trivial query."""

    def check() -> bool:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT 1")).scalar_one() == 1)

    return check


def build_ops(metrics: PlatformMetrics, engine: Engine, submitter: Submitter) -> Ops:
    """The ops routes' slot: readiness (database, writer) and this process's exposition."""
    metrics.registry.register(StateCollector(engine, submitter))
    checks = (ReadinessCheck("database", database_answers(engine)), ReadinessCheck("ledger_writer", submitter.running))
    return Ops(checks, metrics.exposition)
