"""Offline payments of the digital som (pilot phase 3).

Device side and verification: certificates (`certificates`), the signed payment
(`payment`), QR transport (`qr`), the simulated wallet (`device`), the shared offline
checks (`verify`) and the server's pure settlement with double-spend detection
(`settlement`). The ledger integration (reserve accounts, transfers, claims) comes
later and plugs in at `settlement.settle`'s outputs. Design: docs/offline.md; threats:
docs/offline-threat-model.md.
"""
