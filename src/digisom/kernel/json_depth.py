"""How deeply JSON nests (an HTTP body, a list file's line), measured on its bytes as they
arrive, before any parser runs: a parser recurses once per level, so a body nested
thousands deep must be refused by a scan that does not recurse (issue 13: such a body overflowed the C stack).

The scan counts `[` and `{` outside strings and skips escaped characters inside them;
it does not validate the JSON (the parser does that, on bodies that passed).
"""

from __future__ import annotations

import re
from typing import Final

# Every body of this API nests a few levels; 32 leaves room and stays far from the
# interpreter's recursion limit (1000).
JSON_DEPTH_MAX: Final = 32
# The only bytes the scan looks at; the regex engine skips the rest in C.
_STRUCTURAL: Final = re.compile(rb'[\[\]{}"\\]')
_OPEN: Final = frozenset(b"[{")
_CLOSE: Final = frozenset(b"]}")
_QUOTE: Final = ord('"')
_BACKSLASH: Final = ord("\\")


def is_json_media_type(content_type: str | None) -> bool:
    """Whether a body with this Content-Type may reach a JSON parser: FastAPI parses
    bodies without a type, and `application/json` and `application/*+json` ones."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "" or "json" in media_type


class JsonDepthScan:
    """Fed a body chunk by chunk; `feed` says whether the nesting so far is within `depth_max`."""

    def __init__(self, depth_max: int = JSON_DEPTH_MAX) -> None:
        self.depth_max = depth_max
        self.depth = 0
        self._in_string = False
        # A backslash ended the previous chunk: the next chunk's first byte is escaped.
        self._escape_pending = False

    def feed(self, chunk: bytes) -> bool:
        """Scan `chunk`; False as soon as the nesting exceeds the limit."""
        escaped_at = 0 if self._escape_pending else -1
        for match in _STRUCTURAL.finditer(chunk):
            at = match.start()
            if at == escaped_at:
                continue
            byte = chunk[at]
            if self._in_string:
                if byte == _BACKSLASH:
                    escaped_at = at + 1
                elif byte == _QUOTE:
                    self._in_string = False
            elif byte == _QUOTE:
                self._in_string = True
            elif byte in _OPEN:
                self.depth += 1
                if self.depth > self.depth_max:
                    return False
            elif byte in _CLOSE:
                self.depth = max(0, self.depth - 1)
        self._escape_pending = escaped_at == len(chunk)
        return True
