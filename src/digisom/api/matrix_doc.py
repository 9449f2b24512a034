"""Print the permission matrix for docs/security.md: `python -m digisom.api.matrix_doc`."""

from __future__ import annotations

import sys

from digisom.api.app import routers
from digisom.http.permissions import markdown_matrix


def main() -> None:
    """Write the Markdown table to stdout."""
    sys.stdout.write(markdown_matrix(routers()))


if __name__ == "__main__":
    main()
