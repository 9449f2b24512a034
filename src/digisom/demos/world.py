"""The demo's world: one data folder whose database every chapter writes into, so that
`digisom serve --data DIR` serves what `digisom demo --data DIR` told.

`DIR/digisom.db` (and the signing key beside it) is the world, the same files `build(data_dir=DIR)`
opens; `DIR/demo/<chapter>/` holds what a chapter keeps outside the database (its marks, its
exports, the raw-ledger and interbank chapters' own databases: see docs/demo.md).

A chapter on the in-process EVM is told once per world: the chain lives only in the
process, so a second run would find books about a chain that is gone. It marks itself told,
and on a later run shows the books it left and checks them instead.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from rich.console import Console

from digisom.api.runtime import Runtime, build, database_url
from digisom.kernel.clock import utc_now
from digisom.ledger.audit import verify
from digisom.stores.url import open_store

TOLD_MARK: Final = "told"


@dataclass(frozen=True)
class DemoWorld:
    """The shared world a chapter receives: its folder, its database, its wall clock and the
    runtime factory (`build` on the folder, as `digisom serve --data` builds it)."""

    data_dir: Path
    clock: Callable[[], datetime] = utc_now

    @property
    def db_url(self) -> str:
        return database_url(self.data_dir, None)

    def build(self, **options: Any) -> Runtime:
        """The API runtime on the world's database (`options` as `digisom.api.runtime.build`'s)."""
        return build(data_dir=self.data_dir, **({"clock": self.clock} | options))

    def folder(self, chapter: str) -> Path:
        """The chapter's own files outside the database (made if absent)."""
        path = self.data_dir / "demo" / chapter
        path.mkdir(parents=True, exist_ok=True)
        return path

    def told(self, chapter: str) -> bool:
        """Whether a once-per-world chapter was told in this world already."""
        return (self.folder(chapter) / TOLD_MARK).exists()

    def mark_told(self, chapter: str) -> None:
        (self.folder(chapter) / TOLD_MARK).write_text("told\n", encoding="utf-8")

    def retell(self, chapter: str, console: Console) -> bool:
        """A once-per-world chapter's later run: say so, and check the world's books (the
        ledger verified from its journal, the digital som equal to the issuance liability)."""
        console.print(f"  Told in this world already ({self.data_dir}); its in-process chain is gone, "
                      "the books it left are in the database.")
        runtime = self.build()
        store = open_store(self.db_url)
        try:
            report = verify(store)
            balanced = runtime.service.issuance_summary().balanced
        finally:
            store.close()
            runtime.close()
        console.print(f"  Ledger verification: {'no discrepancy' if report.ok else report.discrepancy}; digital som "
                      f"{'=' if balanced else '!='} issuance liability")
        return report.ok and balanced


@contextmanager
def open_world(data_dir: Path | None) -> Iterator[DemoWorld]:
    """The world in `data_dir`, or in a temporary folder removed afterwards."""
    if data_dir is not None:
        yield DemoWorld(data_dir)
        return
    with tempfile.TemporaryDirectory(prefix="digisom-demo-") as scratch:
        yield DemoWorld(Path(scratch))
