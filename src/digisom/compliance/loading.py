"""One entry for loading a list file, whichever format it is in."""

from __future__ import annotations

from pathlib import Path

from digisom.compliance.errors import ListParseError
from digisom.compliance.ftm import load_ftm
from digisom.compliance.model import SanctionsList
from digisom.compliance.ofac import load_ofac


def load_list(path: Path) -> SanctionsList:
    """OFAC's SDN CSV for a `.csv` file (or a folder holding `sdn.csv`), FollowTheMoney
    JSON lines for anything else."""
    if path.is_dir():
        path = path / "sdn.csv"
    if not path.is_file():
        raise ListParseError(path.name, 0, "no such file")
    if path.suffix.lower() == ".csv":
        return load_ofac(path)
    return load_ftm(path)
