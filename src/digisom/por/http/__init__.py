"""Proof of reserves over HTTP: /v1/por."""
