"""SQLite migrations (package data)."""
