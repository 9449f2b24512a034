"""The HTTP toolkit every domain's routes share: tokens and the permission matrix, the
gate that authenticates before a body is read, body and JSON-depth limits, problem+json
errors, idempotency keys, pagination, plain-text fields and rendering.

It knows no domain: a domain's `http` package (`digisom.cbdc.http`, ...) builds its routes
from these pieces, and `digisom.api` (the composition root) puts the routes together."""
