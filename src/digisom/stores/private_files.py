"""The server's private files: its data directory (mode 0700), and the SQLite database
and signing keys in it (mode 0600), whatever the process umask.

The database holds identities and PIN hashes, the key signs every token: nobody but the
server's own user may read either. A directory or file that already exists with looser
bits is tightened, with a warning (issue 13, finding 5; docs/security.md).
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path
from typing import Final

DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600
_log = logging.getLogger("digisom.stores")


def _tighten(path: Path, mode: int) -> None:
    # Only ever removes bits: a stricter mode someone chose (0400 for a key) stays.
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        _log.warning("%s was mode %o; tightened to %o", path, current, current & mode)
        path.chmod(current & mode)


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner can enter (created with its parents if absent)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """`path` as a file only its owner can read (created empty if absent; contents kept)."""
    # Created with the mode at once (O_EXCL: never readable by others, even briefly).
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _tighten(path, FILE_MODE)
    return path
