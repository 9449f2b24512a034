"""Issue 13, finding 5: `digisom serve --data DIR` created DIR with the process umask
(0755) and the database, which holds identities and PIN hashes, as 0644. Now the data
directory is 0700 and the database (with its WAL files) and the signing key 0600,
whatever the umask, and an existing looser directory or file is tightened."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.api.runtime import DB_FILE_NAME, build
from digisom.api.signing_key import KEY_FILE_NAME, load_or_create_key
from tests.api.world import World


@pytest.fixture
def umask_0022() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_0022")
def test_a_new_data_directory_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runtime = build(data_dir=data)  # what `digisom serve --data DIR` runs
    try:
        World.create(runtime).setup()  # writes: the WAL files exist now
        files = sorted(p.name for p in data.iterdir())
        assert DB_FILE_NAME in files and KEY_FILE_NAME in files
        assert _mode(data) == 0o700
        for name in files:
            assert _mode(data / name) == 0o600, name
    finally:
        runtime.close()


@pytest.mark.usefixtures("umask_0022")
def test_an_existing_loose_data_directory_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / DB_FILE_NAME).touch(mode=0o644)
    load_or_create_key(data)
    (data / KEY_FILE_NAME).chmod(0o644)
    os.chmod(data, 0o755)
    runtime = build(data_dir=data)
    runtime.close()
    assert _mode(data) == 0o700
    assert _mode(data / DB_FILE_NAME) == 0o600
    assert _mode(data / KEY_FILE_NAME) == 0o600


@pytest.mark.usefixtures("umask_0022")
def test_the_token_commands_key_directory_is_private(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir(mode=0o755)
    load_or_create_key(tmp_path / "keys")  # `digisom token issue --data DIR`
    assert _mode(tmp_path / "keys") == 0o700 and _mode(tmp_path / "keys" / KEY_FILE_NAME) == 0o600
