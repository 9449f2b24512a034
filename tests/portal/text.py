"""What a person reads on a page: its text and its readable attributes, less what is marked
as another language (`lang`) or as data not to translate (`translate="no"`)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

READABLE_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")
VOID = {"meta", "link", "input", "br", "img", "hr", "area", "base", "col", "source", "wbr"}
# Names and codes every language writes in Latin letters.
LATIN_ALLOWED = frozenset({"KGST", "USDKG", "USD", "SHA", "UTC", "digisom"})
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


class _Reader(HTMLParser):
    def __init__(self, page_lang: str) -> None:
        super().__init__()
        self.page_lang = page_lang
        self.stack: list[tuple[str, bool]] = []
        self.chunks: list[str] = []

    def _skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        lang = found.get("lang")
        skip = tag in ("style", "script") or found.get("translate") == "no" or (
            lang is not None and tag != "html" and lang != self.page_lang)
        if not skip and not self._skipping():
            self.chunks.extend(v for k, v in attrs if k in READABLE_ATTRIBUTES and v)
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.chunks.append(data)


def readable_text(html: str, page_lang: str) -> str:
    """The page's text in its own language."""
    reader = _Reader(page_lang)
    reader.feed(html)
    return " ".join(reader.chunks)


def latin_words(html: str, page_lang: str) -> set[str]:
    """Latin-letter words a Kyrgyz or Russian reader would see untranslated."""
    return {w for w in LATIN_WORD.findall(readable_text(html, page_lang)) if w not in LATIN_ALLOWED}
