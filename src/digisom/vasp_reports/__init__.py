"""Monthly volume reports of licensed virtual-asset service providers (VASPs), issue 17.

Each licensed VASP submits, per month, its traded volume per asset pair, its deposits and
withdrawals per asset and its customer count, signed with the Ed25519 key of its licence
(docs/vasp-reports.md). Versions are appended, never overwritten; the latest version of
each VASP's month counts for the published aggregates, which anyone recomputes from the
published export (`digisom vasp-reports recompute`). The licence register and the asset
register are ports (`ports.py`), filled by the composition root.
"""
