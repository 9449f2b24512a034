"""The console's translations, in one place: a passthrough until the portal's Babel
catalogs (ky, ru, en) are plugged in here. Python strings use `_`; templates use
Jinja's i18n extension, which reads the same translations."""

from __future__ import annotations

import gettext
from typing import Final

# Replace with the portal's catalogs (`gettext.translation("digisom", ...)`) per request
# language; every console string already goes through it.
TRANSLATIONS: Final = gettext.NullTranslations()


def _(message: str) -> str:
    """`message` in the console's language."""
    return TRANSLATIONS.gettext(message)
