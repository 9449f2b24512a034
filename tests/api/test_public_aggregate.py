"""/v1/public/aggregate is anonymous, so its cost must not grow with the wallets: it reads
per-code ledger totals (one GROUP BY) and two counts, never every wallet's account, and
the runtime serves it from a short-lived cache on an explicit clock. The figures are the
same as adding every wallet's and float's balance one by one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from digisom.api import runtime as runtime_module
from digisom.api.runtime import Runtime, build
from digisom.cbdc.accounts import CIRCULATING_CODES, AccountCode, balance_tyiyn, bank_account_id
from digisom.ledger.model import PAGE_LIMIT_MAX
from digisom.ledger.store import LedgerStore
from tests.api.world import AYIL, BAKAI, World, kgs

EXTRA_WALLETS = 30


class CountingStore:
    """A `LedgerStore` that counts its read calls and the ids they ask for."""

    def __init__(self, inner: LedgerStore) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()
        self.ids_asked = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            self.ids_asked += sum(len(a) for a in args if isinstance(a, Collection) and not isinstance(a, str | bytes))
            return attr(*args, **kwargs)

        return counted


class Opened:
    """The stores the runtime opened, in order: [writer, reader], each counting."""

    def __init__(self, open_store: Callable[..., LedgerStore]) -> None:
        self._open_store = open_store
        self.stores: list[CountingStore] = []

    def open(self, url: str, *, project_behind: bool = False) -> LedgerStore:
        store = CountingStore(self._open_store(url, project_behind=project_behind))
        self.stores.append(store)
        return store  # type: ignore[return-value]  # it forwards every LedgerStore method


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Opened:
    opened = Opened(runtime_module.open_store)
    monkeypatch.setattr(runtime_module, "open_store", opened.open)
    return opened


@contextmanager
def _runtime(tmp_path: Path, **options: Any) -> Iterator[Runtime]:
    built = build(data_dir=tmp_path / "data", **options)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def uncached(tmp_path: Path, opened: Opened) -> Iterator[Runtime]:
    with _runtime(tmp_path, public_ttl_s=0) as built:
        yield built


def _cost(world: World, opened: Opened) -> tuple[Counter[str], int, int, dict[str, Any]]:
    """What one aggregate call asked of the reading ledger store and the domain database."""
    reader = opened.stores[1]
    reader.calls.clear()
    reader.ids_asked = 0
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = world.runtime.service.ctx.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        body = world.ok(world.get(None, "/v1/public/aggregate"))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return Counter(reader.calls), reader.ids_asked, len(statements), body


def _by_account(world: World) -> int:
    """Circulation added up account by account (every wallet and every float), as before."""
    ledger = world.runtime.service.ctx.ledger
    wallets = sum(world.balance(name) for name in world.wallets)
    floats = sum(balance_tyiyn(ledger.account(bank_account_id(b, AccountCode.BANK_FLOAT))) for b in (AYIL, BAKAI))
    return wallets + floats


def test_the_aggregates_reads_do_not_grow_with_the_wallets(uncached: Runtime, opened: Opened) -> None:
    world = World.create(uncached).setup()
    before_calls, before_ids, before_statements, before = _cost(world, opened)
    for i in range(EXTRA_WALLETS):
        world.open_wallet("commercial_bank", f"villager-{i}", "individual", 1)
        if i % 10 == 0:
            world.ok(world.pay("treasury", "treasury", f"villager-{i}", 100), 201)
    calls, ids, statements, after = _cost(world, opened)
    assert (calls, ids, statements) == (before_calls, before_ids, before_statements)
    assert calls == Counter({"get_code_totals": 1}) and ids == 0  # one GROUP BY, no account by id
    assert after["wallets_open"] == before["wallets_open"] + EXTRA_WALLETS
    # Unchanged figures: payments move digital som between wallets, nothing is created.
    assert after["circulation_tyiyn"] == before["circulation_tyiyn"] == str(_by_account(world))
    every = opened.stores[1].scan_accounts(0, PAGE_LIMIT_MAX)
    assert int(after["circulation_tyiyn"]) == sum(balance_tyiyn(a) for a in every if a.code in CIRCULATING_CODES)


def test_the_aggregate_is_cached_for_its_ttl_on_the_runtimes_clock(tmp_path: Path, opened: Opened) -> None:
    now_s = [1_000.0]
    clock: Callable[[], float] = lambda: now_s[0]  # noqa: E731
    with _runtime(tmp_path, public_ttl_s=5, monotonic_s=clock) as built:
        world = World.create(built).setup()
        first_calls, _, _, first = _cost(world, opened)
        assert first_calls["get_code_totals"] == 1
        world.ok(world.post("second_bank", "/v1/issuance/issues", {"bank_code": BAKAI, **kgs(1_000)}), 201)
        now_s[0] += 4.9
        cached_calls, _, statements, cached = _cost(world, opened)
        assert cached == first and not cached_calls and statements == 0
        now_s[0] += 0.1
        _, _, _, fresh = _cost(world, opened)
        assert int(fresh["circulation_tyiyn"]) == int(first["circulation_tyiyn"]) + 1_000 * 100
        assert fresh["as_of"] >= first["as_of"]
