"""Turning a page's figures into HTML in the visitor's language: the Jinja2 environment,
the compiled catalogs, and the headers every portal page carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from babel import Locale
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from digisom.http.services import Slot
from digisom.portal import charts
from digisom.portal import format as fmt
from digisom.portal.i18n import LANGUAGES, NAMES, Catalogs, language_hrefs

# No script runs on a portal page; styles and images come from the portal itself.
CONTENT_SECURITY_POLICY: Final = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                  "frame-ancestors 'none'; base-uri 'none'")
PAGE_MAX_AGE_S: Final = 60  # public figures: a minute old at most


class Formatter:
    """The format helpers with the page's locale bound (what templates call as `fmt`)."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale

    def som(self, amount_tyiyn: int) -> str:
        return fmt.som(amount_tyiyn, self.locale)

    def number(self, value: int) -> str:
        return fmt.number(value, self.locale)

    def units(self, amount_units: int, decimals: int) -> str:
        return fmt.units(amount_units, decimals, self.locale)

    def usd(self, amount_cents: int) -> str:
        return fmt.usd(amount_cents, self.locale)

    def oz(self, amount_moz: int) -> str:
        return fmt.troy_ounces(amount_moz, self.locale)

    def bps(self, value_bps: int) -> str:
        return fmt.basis_points(value_bps, self.locale)

    def month(self, value: str) -> str:
        return fmt.month(value, self.locale)

    def day(self, value: date | str) -> str:
        return fmt.day(date.fromisoformat(value[:10]) if isinstance(value, str) else value, self.locale)

    def moment(self, value: datetime | str) -> str:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
        return fmt.moment(moment, self.locale)

    def moment_ms(self, timestamp_ms: int) -> str:
        return fmt.moment(datetime.fromtimestamp(timestamp_ms // 1000, UTC), self.locale)


@dataclass(frozen=True)
class Portal:
    """What every portal page renders with; built once per app."""

    env: Environment
    catalogs: Catalogs

    @classmethod
    def build(cls) -> Portal:
        """Load the templates and compile the catalogs."""
        env = Environment(loader=PackageLoader("digisom.portal", "templates"), autoescape=select_autoescape(["html"]),
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        env.globals.update(line_chart=charts.line_chart, bar_chart=charts.bar_chart, Series=charts.Series)
        return cls(env, Catalogs.load())

    def page(self, request: Request, lang: str, template: str, context: Mapping[str, Any],
             status_code: int = 200) -> HTMLResponse:
        """Render `template` in `lang` with the portal's headers."""
        translations = self.catalogs.translations[lang]
        html = self.env.get_template(template).render(
            **context, _=translations.gettext, lang=lang, languages=LANGUAGES, language_names=NAMES,
            fmt=Formatter(self.catalogs.locales[lang]), path=request.url.path,
            language_hrefs=language_hrefs(request.url.path, request.query_params.multi_items()))
        return HTMLResponse(html, status_code=status_code, headers={
            "Content-Language": lang, "Vary": "Accept-Language", "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": f"public, max-age={PAGE_MAX_AGE_S}" if status_code == 200 else "no-store"})


PORTAL: Final = Slot[Portal]("portal.pages")
