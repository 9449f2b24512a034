"""A throwaway PostgreSQL server for tests and benchmarks.

`TemporaryPostgres` runs `initdb` in a fresh temporary directory, starts the server on a
free loopback port and removes everything on exit. It keeps PostgreSQL's durable
defaults (fsync, synchronous_commit, full_page_writes): benchmarks must measure the
commits an operator would run. Authentication is `trust`, and the server listens on
127.0.0.1 only, so it is meant for a developer machine or a CI runner, not a shared host.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Final

import psycopg
from psycopg import sql

from digisom.devtools.ports import free_port
from digisom.errors import DigisomError

# Debian and Ubuntu install server binaries here, one directory per major version.
DEBIAN_BIN_GLOB: Final = "/usr/lib/postgresql/*/bin"
SUPERUSER: Final = "postgres"
# initdb plus the first start of a cold server take a few seconds on a slow CI runner.
START_TIMEOUT_S: Final = 60.0
# Several API processes, each with its pools and lock connections, share one test server.
MAX_CONNECTIONS_DEFAULT: Final = 300
STOP_TIMEOUT_S: Final = 60
# What docs/operations.md recommends for a ledger's server, applied to every server this
# module starts (a caller's `settings` win), so the benchmarks measure what an operator
# runs. PostgreSQL's default 128 MB of shared buffers does not hold a million accounts
# (244 MiB at fillfactor 50), so every batch re-read and evicted account pages: at 1 GB,
# bench/ledger_scaling.py's 1M-account run went from 13.4-15.8k to 17.7-19.4k
# transfers/s, the 10k-account one unchanged (docs/performance.md, round 3).
LEDGER_SERVER_SETTINGS: Final = {"shared_buffers": "1GB"}
# Another process may take the free port between our probe and the server's bind.
START_ATTEMPTS_MAX: Final = 3
_DATABASE_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresUnavailable(DigisomError):
    """The PostgreSQL server binaries are missing or the server would not start."""


def find_bin_dir() -> Path:
    """The directory holding `initdb` and `pg_ctl`: from PATH, else the newest Debian install."""
    on_path = shutil.which("initdb")
    if on_path:
        directory = Path(on_path).resolve().parent
        if (directory / "pg_ctl").exists():
            return directory
    candidates = [Path(p) for p in glob.glob(DEBIAN_BIN_GLOB) if (Path(p) / "initdb").exists()]
    if candidates:
        return max(candidates, key=_major_version)
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
        f"{DEBIAN_BIN_GLOB}; install the postgresql server package"
    )


def _major_version(bin_dir: Path) -> int:
    name = bin_dir.parent.name
    return int(name) if name.isdigit() else 0


def server_user_command(command: list[str]) -> list[str]:
    """`command` as the server's system user when run as root (PostgreSQL refuses root,
    and a data directory must belong to the user that runs the server)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", SUPERUSER, "--", *command]
    return command


def chown_for_server(path: Path) -> None:
    """Give `path` to the server's system user when run as root (else it is already ours)."""
    if os.geteuid() != 0:
        return
    try:
        user = pwd.getpwnam(SUPERUSER)
    except KeyError as error:
        raise PostgresUnavailable("running as root but there is no 'postgres' system user") from error
    os.chown(path, user.pw_uid, user.pw_gid)


def settings_text(settings: Mapping[str, str]) -> str:
    """`settings` as postgresql.conf lines, each value a quoted string."""
    return "".join(f"{name} = '{value.replace(chr(39), chr(39) * 2)}'\n" for name, value in settings.items())


class TemporaryPostgres:
    """A PostgreSQL server in a temporary directory, alive inside a `with` block.

    When run as root, the server runs as the `postgres` system user (PostgreSQL refuses
    to run as root). `url` names the `postgres` database as superuser `postgres`.
    `LEDGER_SERVER_SETTINGS`, then `settings`, are appended to postgresql.conf before
    the start (e.g. WAL archiving).
    `initialise` fills the empty data directory instead of initdb (e.g. restores a base
    backup into it); it runs as the caller, so it writes through `server_user_command`.
    """

    def __init__(self, bin_dir: Path | None = None, start_timeout_s: float = START_TIMEOUT_S,
                 max_connections: int = MAX_CONNECTIONS_DEFAULT, settings: Mapping[str, str] | None = None,
                 initialise: Callable[[Path], None] | None = None) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self._start_timeout_s = start_timeout_s
        self._max_connections = max_connections
        self._settings = {**LEDGER_SERVER_SETTINGS, **(settings or {})}
        self._initialise = initialise
        self._root: Path | None = None
        self.port = 0

    @property
    def directory(self) -> Path | None:
        """The temporary directory holding the cluster, while the server runs."""
        return self._root

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory, while the server runs."""
        return self._data_dir

    @property
    def url(self) -> str:
        """The connection URL of the `postgres` database."""
        return self.database_url(SUPERUSER)

    def database_url(self, name: str) -> str:
        """The connection URL of database `name` on this server."""
        if not self.port:
            raise PostgresUnavailable("the server is not running")
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def __enter__(self) -> TemporaryPostgres:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """initdb, start the server and wait until it accepts connections."""
        self._root = Path(tempfile.mkdtemp(prefix="digisom-pg-"))
        try:
            chown_for_server(self._root)
            if self._initialise is None:
                # --no-sync skips only initdb's final flush of a directory we delete anyway;
                # the server itself runs with fsync and synchronous_commit on.
                self._run("initdb", "-D", str(self._data_dir), "-U", SUPERUSER, "--auth=trust",
                          "--encoding=UTF8", "--no-locale", "--no-sync")
            else:
                self._data_dir.mkdir(mode=0o700)
                chown_for_server(self._data_dir)
                self._initialise(self._data_dir)
            with (self._data_dir / "postgresql.conf").open("a") as conf:
                conf.write(settings_text(self._settings))
            for attempt in range(1, START_ATTEMPTS_MAX + 1):
                self.port = free_port()
                try:
                    self._start_server()
                    break
                except PostgresUnavailable:
                    if attempt == START_ATTEMPTS_MAX:
                        raise
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory; safe to call twice."""
        root, self._root = self._root, None
        if root is None:
            return
        try:
            if (self._data_dir_of(root) / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self._data_dir_of(root)), "-m", "fast", "-w",
                          "-t", str(STOP_TIMEOUT_S), "stop", check=False)
        finally:
            self.port = 0
            shutil.rmtree(root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        """Create an empty database `name` (lowercase letters, digits, `_`); return its URL."""
        if not _DATABASE_NAME.fullmatch(name):
            raise ValueError(f"not a plain database name: {name!r}")
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.database_url(name)

    # -- internals ---------------------------------------------------------------------

    @property
    def _data_dir(self) -> Path:
        if self._root is None:
            raise PostgresUnavailable("the server is not running")
        return self._data_dir_of(self._root)

    @staticmethod
    def _data_dir_of(root: Path) -> Path:
        return root / "data"

    def _start_server(self) -> None:
        root = self._data_dir.parent
        # Only the listening settings and the connection cap change; every durability
        # setting keeps its default.
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={root}"
                   f" -c max_connections={self._max_connections}")
        result = self._run("pg_ctl", "-D", str(self._data_dir), "-l", str(root / "server.log"),
                           "-o", options, "-w", "-t", str(int(self._start_timeout_s)), "start", check=False)
        if result.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl start failed: {result.stderr.strip()}\n{self._log_tail()}")

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self._start_timeout_s
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(f"server did not accept connections: {error}") from error
                time.sleep(0.05)

    def _log_tail(self) -> str:
        if self._root is None:
            return ""
        with contextlib.suppress(OSError):
            return (self._root / "server.log").read_text(errors="replace")[-2000:]
        return ""

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = server_user_command([str(self.bin_dir / program), *args])
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self._root)
        except OSError as error:  # e.g. no `runuser` on this system
            raise PostgresUnavailable(f"cannot run {program}: {error}") from error
        if check and result.returncode != 0:
            raise PostgresUnavailable(f"{program} failed ({result.returncode}): {result.stderr.strip()}")
        return result
