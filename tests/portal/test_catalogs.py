"""The gettext catalogs (the portal's and the console's): every message of the templates and
of the console's Python is in each language's catalog, and none is left empty."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from digisom.portal.i18n import LANGUAGES

TEMPLATES = Path(str(resources.files("digisom.portal").joinpath("templates")))
CONSOLE = Path(str(resources.files("digisom.console")))


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    path = resources.files("digisom.portal").joinpath("locale", lang, "LC_MESSAGES", "portal.po")
    with path.open("rb") as po:
        return read_po(po, locale=lang)


def _template_messages(folder: Path = TEMPLATES) -> set[str]:
    found = extract_from_dir(str(folder), method_map=[("**.html", "jinja2"), ("**.py", "python")],
                             keywords={"_": None, "N_": None})
    return {message for _file, _line, message, _comments, _context in found}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_is_left_untranslated(lang: str) -> None:
    empty = [m.id for m in _catalog(lang) if m.id and not m.string]
    assert empty == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_message_is_in_the_catalog(lang: str) -> None:
    ids = {m.id for m in _catalog(lang) if m.id}
    used = _template_messages()
    assert len(used) > 100
    assert used - ids == set(), "run the extraction in docs/portal.md and translate the new messages"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_console_message_is_in_the_catalog(lang: str) -> None:
    ids = {m.id for m in _catalog(lang) if m.id and m.string}
    used = _template_messages(CONSOLE)  # its templates and its Python (`_`, `N_`)
    assert len(used) > 150
    assert used - ids == set(), "run the extraction in docs/portal.md and translate the new messages"


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_translations_keep_their_placeholders(lang: str) -> None:
    for message in _catalog(lang):
        if message.id and "%(" in message.id:
            assert sorted(_names(message.id)) == sorted(_names(message.string)), message.id


def _names(text: str) -> list[str]:
    return [part.split(")s")[0] for part in text.split("%(")[1:]]
