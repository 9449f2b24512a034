"""Point-in-time recovery with PostgreSQL's own tools: WAL archive, base backup, restore.

The steps of the runbook (docs/operations.md, "Backup and point-in-time restore"), on
throwaway servers (`TemporaryPostgres`), so a test can rehearse them end to end:

    with PitrWorkspace() as workspace, TemporaryPostgres(settings=workspace.archiving_settings()) as primary:
        ...                                             # digisom's database on `primary`
        backup = workspace.base_backup(primary)         # pg_basebackup, tar, compressed
        ...                                             # payments
        create_restore_point(primary.url, "before-x")   # pg_create_restore_point
        ...                                             # more payments
        workspace.archive_current_wal(primary.url)      # the segment holding the point is archived
    with workspace.restored(backup, RestoreTarget(name="before-x")) as restored:
        ...                                             # promoted at the point: check it

An operator runs the same commands by hand; this module only wraps them.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Final

import psycopg

from digisom.devtools.postgres_server import (
    SUPERUSER,
    TemporaryPostgres,
    chown_for_server,
    find_bin_dir,
    server_user_command,
)
from digisom.errors import DigisomError

BACKUP_FILE_NAME: Final = "base.tar.gz"
ARCHIVE_TIMEOUT_S: Final = 60.0
PROMOTE_TIMEOUT_S: Final = 120.0
POLL_S: Final = 0.05
# A restore point's name goes into SQL and postgresql.conf: keep it plain.
_POINT_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}")


class PitrFailed(DigisomError):
    """A backup, archive or restore step did not complete."""


@dataclass(frozen=True)
class RestoreTarget:
    """Where recovery stops: a named restore point, or a moment (inclusive)."""

    name: str | None = None
    moment: datetime | None = None

    def __post_init__(self) -> None:
        if (self.name is None) == (self.moment is None):
            raise ValueError("a restore target is a restore point's name or a moment, exactly one")
        if self.name is not None and not _POINT_NAME.fullmatch(self.name):
            raise ValueError(f"not a plain restore point name: {self.name!r}")
        if self.moment is not None and self.moment.tzinfo is None:
            raise ValueError("a restore moment needs its time zone")

    def settings(self) -> dict[str, str]:
        """The recovery target settings of postgresql.conf; promote once it is reached."""
        target = ({"recovery_target_name": self.name} if self.name is not None
                  else {"recovery_target_time": self.moment.isoformat() if self.moment else ""})
        return {**target, "recovery_target_inclusive": "on", "recovery_target_action": "promote"}


def create_restore_point(url: str, name: str) -> str:
    """Write restore point `name` into the WAL (superuser); its LSN."""
    RestoreTarget(name=name)  # the same check as a restore will apply
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_create_restore_point(%s)::text", (name,)).fetchone()
    if row is None:
        raise PitrFailed("pg_create_restore_point returned nothing")
    return str(row[0])


class PitrWorkspace:
    """A temporary directory with the WAL archive and the base backups, readable by the
    server's user; removed on exit."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self._root: Path | None = None

    def __enter__(self) -> PitrWorkspace:
        self._root = Path(tempfile.mkdtemp(prefix="digisom-pitr-"))
        chown_for_server(self._root)
        for directory in (self.archive_dir, self._backups_dir):
            directory.mkdir()
            chown_for_server(directory)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        root, self._root = self._root, None
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    @property
    def archive_dir(self) -> Path:
        """Where `archive_command` copies each completed WAL segment."""
        return self._path("wal-archive")

    def archiving_settings(self) -> dict[str, str]:
        """postgresql.conf settings that archive every WAL segment into the archive (never
        overwriting one already there: a second cluster writing to it is a mistake)."""
        archive = shlex.quote(str(self.archive_dir))
        return {"wal_level": "replica", "archive_mode": "on",
                "archive_command": f"test ! -f {archive}/%f && cp %p {archive}/%f"}

    def base_backup(self, server: TemporaryPostgres) -> Path:
        """`pg_basebackup` of `server` as one compressed tar (the WAL it needs inside); its path."""
        target = self._backups_dir / f"base-{time.strftime('%Y%m%dT%H%M%S')}-{time.monotonic_ns()}"
        self._run([str(self.bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(server.port), "-U", SUPERUSER,
                   "-D", str(target), "--format=tar", "--gzip", "--wal-method=fetch", "--checkpoint=fast"])
        return target / BACKUP_FILE_NAME

    def archive_current_wal(self, url: str, timeout_s: float = ARCHIVE_TIMEOUT_S) -> str:
        """Close the current WAL segment and wait until the archive holds it, so a restore
        can reach everything written so far; the segment's file name."""
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
        if row is None:
            raise PitrFailed("pg_switch_wal returned nothing")
        segment = str(row[0])
        deadline = time.monotonic() + timeout_s
        while not (self.archive_dir / segment).exists():
            if time.monotonic() > deadline:
                raise PitrFailed(f"WAL segment {segment} not archived within {timeout_s} s: see archive_command")
            time.sleep(POLL_S)
        return segment

    def restored(self, backup: Path, target: RestoreTarget) -> TemporaryPostgres:
        """A server (not yet started: use it in a `with` block) whose data directory is
        `backup` unpacked, recovering from the archive up to `target` and then promoted."""
        archive = shlex.quote(str(self.archive_dir))

        def unpack(data_dir: Path) -> None:
            self._run(["tar", "-xzf", str(backup), "-C", str(data_dir)])
            self._run(["touch", str(data_dir / "recovery.signal")])

        settings = {"restore_command": f"cp {archive}/%f %p", **target.settings()}
        return _PromotedPostgres(self.bin_dir, settings=settings, initialise=unpack)

    @property
    def _backups_dir(self) -> Path:
        return self._path("backups")

    def _path(self, name: str) -> Path:
        if self._root is None:
            raise PitrFailed("the workspace is not open")
        return self._root / name

    def _run(self, command: list[str]) -> None:
        try:
            result = subprocess.run(server_user_command(command), capture_output=True, text=True, check=False)
        except OSError as error:
            raise PitrFailed(f"cannot run {command[0]}: {error}") from error
        if result.returncode != 0:
            raise PitrFailed(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()}")


class _PromotedPostgres(TemporaryPostgres):
    """A restored server whose start returns once recovery reached its target and the
    server was promoted (it accepts read-only connections before that)."""

    def start(self) -> None:
        super().start()
        try:
            wait_promoted(self.url)
        except BaseException:
            self.stop()
            raise


def wait_promoted(url: str, timeout_s: float = PROMOTE_TIMEOUT_S) -> None:
    """Wait until the server at `url` has left recovery (it reached its target and was promoted)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2) as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            if row is not None and row[0] is False:
                return
        except psycopg.OperationalError:
            pass  # recovery ended before its target: the server stops and the deadline names it
        if time.monotonic() > deadline:
            raise PitrFailed(f"the restored server did not finish recovery within {timeout_s} s "
                             "(target not in the archive?)")
        time.sleep(POLL_S)
