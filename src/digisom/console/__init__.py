"""The operator console at `/console`: server-rendered pages per role over the same
services and the same permission matrix as the API (docs/console.md).

A browser signs in with a token from the existing issuer; the session is an encrypted,
HttpOnly cookie that holds that token, verified again on every request. Every form
carries the session's CSRF token and every POST must come from this origin.
"""
