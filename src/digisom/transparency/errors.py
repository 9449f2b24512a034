"""The transparency log's typed errors (each a problem+json of its own `type`)."""

from __future__ import annotations

from digisom.kernel.errors import Conflict, Invalid, NotFound


class RecordInvalid(Invalid):
    """A record the log does not take: unknown kind, bad id, a body that is not JSON."""

    slug = "log-record-invalid"
    title = "Not a record the log takes"


class RecordConflict(Conflict):
    """A record id already in the log with other content (appending is idempotent by id)."""

    slug = "log-record-conflict"
    title = "The record id is logged with other content"


class LogNotFound(NotFound):
    """No such record, or no signed tree head of that size."""

    slug = "log-not-found"
    title = "Not in the log"


class OutOfRange(Invalid):
    """Sizes or positions outside the log as signed: a page past the end, a tree larger
    than the newest signed one, a first size after the second."""

    slug = "log-out-of-range"
    title = "Outside the signed log"
