"""PostgreSQL migrations (package data)."""
