"""Free text (names, references, reasons, messages; in request bodies and in files):
refused, with a clear 422, if it holds a control or text-direction character.

A NUL byte truncates the text in C libraries and logs; other C0/C1 controls and the line
separators break CSV reports, statements and log lines; the bidirectional embeddings,
overrides and isolates make a name or a reference display as something it is not
(issue 13, finding 5). Every free-text input field uses `PlainText` (digisom.cbdc.http.schemas).
"""

from __future__ import annotations

import re
from typing import Final

# C0 and DEL, C1, U+2028/U+2029 (line and paragraph separators), U+202A..U+202E
# (embeddings and overrides), U+2066..U+2069 (isolates).
REFUSED: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def refuse_control_chars(value: str) -> str:
    """`value` unchanged, or `ValueError` naming the first refused character and where it is."""
    found = REFUSED.search(value)
    if found is not None:
        raise ValueError(f"control or text-direction character U+{ord(found.group()):04X} at position "
                         f"{found.start()} is not allowed in text")
    return value
