"""Sanctions screening: lists loaded from FollowTheMoney JSON lines and OFAC's SDN CSV
files, names matched across Cyrillic and Latin, crypto addresses matched exactly, one-hop
exposure, and the screening decisions and four-eyes review queue that keep the reasoning
for an examiner (docs/compliance.md)."""
