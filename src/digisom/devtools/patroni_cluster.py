"""A throwaway high-availability PostgreSQL: etcd and three Patroni-managed PostgreSQL
nodes with synchronous replication, on this machine, for the failover harness.

`PatroniCluster` starts etcd and the nodes on free 127.0.0.1 ports in a temporary
directory, and stops and removes everything on exit (also when start-up fails). The
packages come from Debian (`patroni`, `etcd-server`, the PostgreSQL server the suite
already uses); `ensure_installed` installs the missing ones with apt-get. As root, the
nodes run as the `postgres` system user (PostgreSQL refuses root).

Timing: Patroni's documented minimums (ttl 20 s, loop_wait 1 s, retry_timeout 3 s;
loop_wait + 2 * retry_timeout <= ttl) and `primary_start_timeout: 0`, so that a crashed
primary is failed over at once instead of restarted in place. A primary that stops
answering altogether (its whole node frozen) is replaced only when its leader key
expires: after `ttl`. `synchronous_mode_strict` keeps a commit waiting until a standby
has it, so a promoted standby holds every acknowledged commit.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import httpx
import psycopg
from psycopg import sql

from digisom.devtools.ports import free_port
from digisom.devtools.postgres_server import LEDGER_SERVER_SETTINGS, SUPERUSER, find_bin_dir
from digisom.errors import DigisomError

NODES_DEFAULT: Final = 3
TTL_S: Final = 20
LOOP_WAIT_S: Final = 1
RETRY_TIMEOUT_S: Final = 3
START_TIMEOUT_S: Final = 120.0
STOP_TIMEOUT_S: Final = 20.0
POLL_S: Final = 0.2
APT_PACKAGES: Final = ("patroni", "etcd-server")
_HTTP_TIMEOUT_S: Final = 2.0


class PatroniUnavailable(DigisomError):
    """Patroni or etcd is missing and cannot be installed, or the cluster would not start."""


def ensure_installed() -> None:
    """Install Patroni and etcd with apt-get when missing (root only)."""
    if shutil.which("patroni") and shutil.which("etcd"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PatroniUnavailable("patroni and etcd are missing; install the Debian packages " + " ".join(APT_PACKAGES))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]):
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        if result.returncode != 0:
            raise PatroniUnavailable(f"{' '.join(command)} failed: {result.stderr[-2000:]}")
    if not (shutil.which("patroni") and shutil.which("etcd")):
        raise PatroniUnavailable("apt-get installed the packages but patroni or etcd is still not on PATH")


@dataclass
class Node:
    """One Patroni-managed PostgreSQL node."""

    name: str
    directory: Path
    pg_port: int
    api_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    def postmaster_pid(self) -> int | None:
        """The running postmaster's pid, from its pid file."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        return None

    def postmaster_group(self) -> int | None:
        """The process group of the postmaster and its backends (Patroni starts it in a
        session of its own, so that it outlives Patroni)."""
        pid = self.postmaster_pid()
        if pid is None:
            return None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            return os.getpgid(pid)
        return None


class PatroniCluster:
    """etcd and `nodes` Patroni nodes with synchronous replication, alive inside `with`."""

    def __init__(self, nodes: int = NODES_DEFAULT, start_timeout_s: float = START_TIMEOUT_S) -> None:
        self._node_count = nodes
        self._start_timeout_s = start_timeout_s
        self._root: Path | None = None
        self._etcd: subprocess.Popen[bytes] | None = None
        self._etcd_port = 0
        self.nodes: list[Node] = []
        self.scope = f"digisom-{os.getpid()}"

    def __enter__(self) -> PatroniCluster:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- URLs --------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """The multi-host URL digisom takes: libpq connects to whichever node is primary."""
        hosts = ",".join(f"127.0.0.1:{node.pg_port}" for node in self.nodes)
        return f"postgresql://{SUPERUSER}@{hosts}/{database}?target_session_attrs=read-write&connect_timeout=2"

    def create_database(self, name: str) -> str:
        """Create database `name` on the primary; its multi-host URL."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    # -- start and stop ------------------------------------------------------------------

    def start(self) -> None:
        """Start etcd, then the nodes; return once there is a leader and a synchronous standby."""
        ensure_installed()
        bin_dir = find_bin_dir()
        self._root = Path(tempfile.mkdtemp(prefix="digisom-patroni-"))
        try:
            _chown_for_server(self._root)
            self._start_etcd()
            for number in range(self._node_count):
                node = Node(f"node{number}", self._root / f"node{number}", free_port(), free_port())
                node.directory.mkdir(mode=0o700)
                _chown_for_server(node.directory)
                self.nodes.append(node)
            for node in self.nodes:
                self._write_config(node, bin_dir)
                self._start_node(node)
            self.wait_healthy(self._start_timeout_s)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every process (frozen ones are thawed first) and remove the directory."""
        root, self._root = self._root, None
        if root is None:
            return
        try:
            for node in self.nodes:
                self.thaw(node)
                if node.process is not None:
                    _signal_group(node.process.pid, signal.SIGTERM)
            for node in self.nodes:
                if node.process is not None:
                    _wait_or_kill(node.process)
                group = node.postmaster_group()
                if group is not None:  # the postmaster runs in a session of its own
                    _signal_group(group, signal.SIGKILL)
            if self._etcd is not None:
                self._etcd.terminate()
                _wait_or_kill(self._etcd)
        finally:
            self.nodes = []
            self._etcd = None
            shutil.rmtree(root, ignore_errors=True)

    # -- faults --------------------------------------------------------------------------

    def kill_postgres(self, node: Node) -> None:
        """SIGKILL the node's postmaster (a crash); its Patroni fails over."""
        pid = node.postmaster_pid()
        if pid is None:
            raise PatroniUnavailable(f"{node.name} has no running postmaster")
        os.kill(pid, signal.SIGKILL)

    def freeze(self, node: Node) -> None:
        """SIGSTOP the whole node (Patroni and PostgreSQL): a partition, to everyone."""
        for group in self._groups(node):
            _signal_group(group, signal.SIGSTOP)

    def thaw(self, node: Node) -> None:
        """SIGCONT what `freeze` stopped."""
        for group in self._groups(node):
            _signal_group(group, signal.SIGCONT)

    def _groups(self, node: Node) -> list[int]:
        groups = [node.process.pid] if node.process is not None else []
        postmaster = node.postmaster_group()
        return groups + ([postmaster] if postmaster is not None else [])

    # -- state ---------------------------------------------------------------------------

    def members(self) -> list[dict[str, Any]]:
        """Patroni's view of the cluster (name, role, state, lag), from the first node answering."""
        for node in self.nodes:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                answer = httpx.get(f"http://127.0.0.1:{node.api_port}/cluster", timeout=_HTTP_TIMEOUT_S)
                if answer.status_code == 200:
                    members: list[dict[str, Any]] = answer.json().get("members", [])
                    return members
        return []

    def leader(self) -> Node | None:
        """The node Patroni holds as leader and that runs, if any."""
        for member in self.members():
            if member.get("role") == "leader" and member.get("state") == "running":
                return self._node(member["name"])
        return None

    def wait_leader(self, timeout_s: float, not_node: Node | None = None) -> Node:
        """The leader, once there is one (other than `not_node`)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            leader = self.leader()
            if leader is not None and leader is not not_node:
                return leader
            time.sleep(POLL_S)
        raise PatroniUnavailable(f"no new leader within {timeout_s} s: {self.members()}")

    def wait_healthy(self, timeout_s: float) -> Node:
        """Wait until every node runs, one leads and a synchronous standby streams with
        no lag; return the leader."""
        deadline = time.monotonic() + timeout_s
        members: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            members = self.members()
            roles = [m.get("role") for m in members]
            running = all(m.get("state") in ("running", "streaming") for m in members)
            caught_up = all(m.get("lag", 0) in (0, None) for m in members if m.get("role") != "leader")
            if (len(members) == len(self.nodes) and running and caught_up and roles.count("leader") == 1
                    and "sync_standby" in roles):
                leader = self.leader()
                if leader is not None:
                    return leader
            time.sleep(POLL_S)
        raise PatroniUnavailable(f"the cluster is not healthy within {timeout_s} s: {members}\n{self.log_tail()}")

    def log_tail(self, chars: int = 1500) -> str:
        """The end of each node's Patroni log, for failure messages."""
        tails = []
        for node in self.nodes:
            with contextlib.suppress(OSError):
                text = (node.directory / "patroni.log").read_text(errors="replace")
                tails.append(f"--- {node.name}\n{text[-chars:]}")
        return "\n".join(tails)

    def _node(self, name: str) -> Node | None:
        return next((node for node in self.nodes if node.name == name), None)

    # -- internals -----------------------------------------------------------------------

    def _start_etcd(self) -> None:
        root = self._required_root()
        client, peer = free_port(), free_port()
        self._etcd_port = client
        command = ["etcd", "--name", "etcd0", "--data-dir", str(root / "etcd"),
                   "--listen-client-urls", f"http://127.0.0.1:{client}",
                   "--advertise-client-urls", f"http://127.0.0.1:{client}",
                   "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                   "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                   "--initial-cluster", f"etcd0=http://127.0.0.1:{peer}"]
        with (root / "etcd.log").open("wb") as log:
            self._etcd = subprocess.Popen(_as_server_user(command), stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        deadline = time.monotonic() + self._start_timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{client}/health", timeout=_HTTP_TIMEOUT_S).status_code == 200:
                    return
            if self._etcd.poll() is not None:
                break
            time.sleep(POLL_S)
        raise PatroniUnavailable("etcd did not start: " + (root / "etcd.log").read_text(errors="replace")[-1500:])

    def _write_config(self, node: Node, bin_dir: Path) -> None:
        trust = ["local all all trust", "host all all 127.0.0.1/32 trust",
                 "host replication all 127.0.0.1/32 trust", "local replication all trust"]
        config = {
            "scope": self.scope,
            "namespace": "/digisom/",
            "name": node.name,
            "log": {"dir": str(node.directory), "level": "INFO"},
            "restapi": {"listen": f"127.0.0.1:{node.api_port}", "connect_address": f"127.0.0.1:{node.api_port}"},
            "etcd3": {"hosts": f"127.0.0.1:{self._etcd_port}"},
            "bootstrap": {
                "dcs": {
                    "ttl": TTL_S, "loop_wait": LOOP_WAIT_S, "retry_timeout": RETRY_TIMEOUT_S,
                    "primary_start_timeout": 0, "maximum_lag_on_failover": 0,
                    "synchronous_mode": True, "synchronous_mode_strict": True,
                    "postgresql": {
                        "use_pg_rewind": True, "remove_data_directory_on_rewind_failure": True,
                        "remove_data_directory_on_diverged_timelines": True,
                        "parameters": {**LEDGER_SERVER_SETTINGS, "wal_log_hints": "on", "max_connections": 300,
                                       "max_wal_senders": 10, "max_replication_slots": 10, "hot_standby": "on"},
                    },
                },
                "initdb": [{"encoding": "UTF8"}, "no-locale"],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{node.pg_port}",
                "connect_address": f"127.0.0.1:{node.pg_port}",
                "data_dir": str(node.data_dir),
                "bin_dir": str(bin_dir),
                "pgpass": str(node.directory / "pgpass"),
                "pg_hba": trust,
                "authentication": {
                    "superuser": {"username": SUPERUSER, "password": "postgres"},
                    "replication": {"username": "replicator", "password": "replicator"},
                    "rewind": {"username": SUPERUSER, "password": "postgres"},
                },
                "parameters": {"unix_socket_directories": str(node.directory)},
            },
        }
        path = node.directory / "patroni.yml"
        path.write_text(json.dumps(config, indent=1))  # JSON is YAML
        _chown_for_server(path)

    def _start_node(self, node: Node) -> None:
        patroni = shutil.which("patroni")
        if patroni is None:
            raise PatroniUnavailable("patroni is not on PATH")
        with (node.directory / "patroni.out").open("wb") as out:
            node.process = subprocess.Popen(_as_server_user([patroni, str(node.directory / "patroni.yml")]),
                                            stdout=out, stderr=subprocess.STDOUT, cwd=node.directory,
                                            start_new_session=True)

    def _required_root(self) -> Path:
        if self._root is None:
            raise PatroniUnavailable("the cluster is not running")
        return self._root


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SUPERUSER, "--", *command] if os.geteuid() == 0 else command


def _chown_for_server(path: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        user = pwd.getpwnam(SUPERUSER)
    except KeyError as error:
        raise PatroniUnavailable("running as root but there is no 'postgres' system user") from error
    os.chown(path, user.pw_uid, user.pw_gid)


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _wait_or_kill(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()
