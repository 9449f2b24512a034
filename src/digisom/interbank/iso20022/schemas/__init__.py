"""The official ISO 20022 XSDs, shipped as package data (see README.md for their origin)."""
