"""The register's routes."""
