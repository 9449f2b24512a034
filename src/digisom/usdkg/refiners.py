"""The refiners whose bars the register accepts: the LBMA Good Delivery list is the
authority; the issuer configures its copy. The list shipped here is a small synthetic
stand-in for tests and demos, not the LBMA's list."""

from __future__ import annotations

from typing import Final

SYNTHETIC_REFINERS: Final = frozenset(
    {
        "Kyrgyzaltyn",
        "Ala-Too Refinery",
        "Issyk-Kul Metals",
        "Tien Shan Assay",
        "Chui Valley Gold",
    }
)
