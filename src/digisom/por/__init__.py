"""Proof of reserves (issue 17): a Merkle-sum tree over a custodian's liabilities to its
customers in one asset, each customer's inclusion proof, and the reserves that cover it.

The construction is fixed in docs/por.md so that anyone can check a proof with their own
code; `digisom.por.verify` is that check in one short standalone module."""
