"""Languages of the portal and the console (one module for both): which one a request
gets, and its gettext catalog (the console's messages are in the same catalogs).

The `.po` sources under `locale/` are compiled in memory when the portal is built (Babel's
`read_po` then `write_mo`, a few milliseconds for three small catalogs): no compiled `.mo`
is committed and no build step is needed in the README's two commands.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final
from urllib.parse import urlencode

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES: Final = ("ky", "ru", "en")
# Kyrgyz is the state language: a visitor whose browser names none of the three reads it.
DEFAULT_LANGUAGE: Final = "ky"
LANG_PARAM_CHARS_MAX: Final = 8
# An Accept-Language header longer than this is ignored (browsers send well under 200).
ACCEPT_LANGUAGE_CHARS_MAX: Final = 512
ACCEPT_LANGUAGE_ITEMS_MAX: Final = 16
NAMES: Final[Mapping[str, str]] = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}


class UnknownLanguage(ValueError):
    """`?lang=` names a language the portal does not have."""


def _catalog(language: str) -> Translations:
    source = resources.files("digisom.portal").joinpath("locale", language, "LC_MESSAGES", "portal.po")
    with source.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="portal")


@dataclass(frozen=True)
class Catalogs:
    """Each language's compiled catalog and Babel locale."""

    translations: Mapping[str, Translations]
    locales: Mapping[str, Locale]

    @classmethod
    def load(cls) -> Catalogs:
        """Compile every catalog from its `.po` source."""
        return cls({lang: _catalog(lang) for lang in LANGUAGES}, {lang: Locale.parse(lang) for lang in LANGUAGES})


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages the header prefers (q-values honoured), or None."""
    if not header or len(header) > ACCEPT_LANGUAGE_CHARS_MAX:
        return None
    ranked: list[tuple[int, int, str]] = []
    for index, item in enumerate(header.split(",")[:ACCEPT_LANGUAGE_ITEMS_MAX]):
        tag, _, params = item.strip().partition(";")
        weight_milli = 1000
        params = params.strip()
        if params.startswith("q="):
            weight_milli = _q_milli(params[2:])
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and weight_milli > 0:
            ranked.append((-weight_milli, index, primary))
    return min(ranked)[2] if ranked else None


def _q_milli(text: str) -> int:
    """An Accept-Language q-value in thousandths (integers only); a malformed one is 0."""
    whole, _, fraction = text.strip().partition(".")
    if whole not in ("0", "1") or len(fraction) > 3 or not (fraction.isdigit() or fraction == ""):
        return 0
    return min(1000, int(whole) * 1000 + int(fraction.ljust(3, "0") or "0"))


def choose(lang_param: str | None, accept_language: str | None) -> str:
    """The page's language: `?lang=` if given (unknown: `UnknownLanguage`), else the
    browser's preference, else Kyrgyz."""
    if lang_param is not None:
        if lang_param not in LANGUAGES:
            raise UnknownLanguage(lang_param[:LANG_PARAM_CHARS_MAX])
        return lang_param
    return from_accept_language(accept_language) or DEFAULT_LANGUAGE


def request_language(lang_params: Sequence[str], accept_language: str | None,
                     remembered: str | None = None) -> tuple[str, bool]:
    """A request's language: its single `?lang=`, else the one `remembered` (the console's
    cookie), else the browser's, else Kyrgyz; and False when `?lang=` was unknown or given
    more than once (the error page is then in the language it would otherwise get)."""
    fallback = remembered if remembered in LANGUAGES else None
    try:
        given = lang_params[0] if len(lang_params) == 1 else (None if not lang_params else "?")
        return choose(given, None) if given is not None else (fallback or choose(None, accept_language)), True
    except UnknownLanguage:
        return fallback or from_accept_language(accept_language) or DEFAULT_LANGUAGE, False


def language_hrefs(path: str, query: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Per language, this page's link in it: the same path and query (a filter, a page
    number) with `lang` set to that language."""
    kept = [(name, value) for name, value in query if name != "lang"]
    return {code: f"{path}?{urlencode([*kept, ('lang', code)])}" for code in LANGUAGES}
