"""Who may do what in the console: the API's permission matrix, read through one helper.

A console page or form names the API operation it performs; a role the matrix does not
allow neither sees the action nor gets it done by posting the form anyway (403 page).
"""

from __future__ import annotations

from digisom.console.errors import ConsoleRefusal
from digisom.console.i18n import _
from digisom.http.permissions import MATRIX
from digisom.kernel.access import Actor


def allowed(actor: Actor, operation: str) -> bool:
    """Whether `actor`'s role may perform `operation` (an unknown operation: never)."""
    return actor.role in MATRIX.get(operation, frozenset())


def require(actor: Actor, operation: str) -> None:
    """Refuse (403) unless `actor`'s role may perform `operation`."""
    if not allowed(actor, operation):
        raise ConsoleRefusal(403, _("Not allowed"), _("Your role may not do this."))
