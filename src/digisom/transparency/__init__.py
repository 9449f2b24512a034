"""The public transparency log: every published record in an RFC 9162 Merkle tree, with
signed tree heads, inclusion and consistency proofs, and chain anchors (docs/transparency.md)."""
