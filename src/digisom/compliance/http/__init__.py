"""Compliance's HTTP routes: /v1/compliance (screening, the review queue, the lists)."""
