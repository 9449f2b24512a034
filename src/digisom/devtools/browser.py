"""What the browser tests need from outside Python: Debian's Chromium and axe-core.

Chromium comes from Debian's package (`apt-get install chromium`), installed here when it
is missing and the run is CI's (root, `CI=true`), as scripts/ensure-postgres.sh does for
PostgreSQL. axe-core comes from the npm registry at a pinned version, its tarball checked
against the pinned integrity, and is cached under `.cache/` (gitignored): axe-core is
MPL-2.0, which would allow shipping the file, but fetching it keeps the repository's own
code under one licence and the version pinned in one place (docs/portal.md).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Final

from digisom.errors import DigisomError

AXE_VERSION: Final = "4.14.1"
# npm's dist.integrity of axe-core 4.14.1: the tarball must match it byte for byte.
AXE_INTEGRITY: Final = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
AXE_FILE: Final = "package/axe.min.js"
NPM_TIMEOUT_S: Final = 120
APT_TIMEOUT_S: Final = 900
CHROMIUM_NAMES: Final = ("chromium", "chromium-browser")


class BrowserUnavailable(DigisomError):
    """No Chromium or no axe-core, and this run may not install them."""


def _may_install() -> bool:
    return os.environ.get("CI") == "true" and os.geteuid() == 0


def chromium_binary() -> Path:
    """Debian's Chromium; installed with apt-get first when missing in CI."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    if not _may_install():
        raise BrowserUnavailable("no chromium on PATH (CI installs Debian's package 'chromium'; as root: "
                                 "apt-get install -y chromium)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        subprocess.run(command, check=True, capture_output=True, timeout=APT_TIMEOUT_S, env=env)
    found = shutil.which("chromium")
    if found is None:
        raise BrowserUnavailable("apt-get installed no chromium")
    return Path(found)


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def axe_source(cache_dir: Path) -> str:
    """axe-core's browser script, from the cache or fetched with `npm pack` and checked."""
    cached = cache_dir / f"axe-core-{AXE_VERSION}.min.js"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    npm = shutil.which("npm")
    if npm is None:
        raise BrowserUnavailable("npm is needed once to fetch axe-core")
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", scratch, "--silent"],
                       check=True, capture_output=True, timeout=NPM_TIMEOUT_S)
        tarball = Path(scratch) / f"axe-core-{AXE_VERSION}.tgz"
        data = tarball.read_bytes()
    if _integrity(data) != AXE_INTEGRITY:
        raise BrowserUnavailable(f"axe-core {AXE_VERSION} from npm does not match its pinned integrity")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile(AXE_FILE)  # one named file, never extractall
        if member is None:
            raise BrowserUnavailable(f"{AXE_FILE} is missing from the axe-core tarball")
        script = member.read()
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".partial")
    partial.write_bytes(script)
    partial.replace(cached)
    return script.decode("utf-8")
