"""The console's session cookie: the signed-in token and a CSRF token, sealed with
AES-256-GCM under a key derived from the platform's signing key.

Sealed, not only signed: the cookie carries a bearer token, which must not be readable
from a copied cookie jar or a log. The token inside is verified again on every request
by the API's `TokenVerifier`, so the session ends when the token does, and a cookie can
never do more than the token it wraps. It also carries the id of the session's row on
the server (`digisom.console.sessions`), checked on every request, so a session ends
for good at sign-out or when an operator revokes it.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from digisom.http.auth import TOKEN_CHARS_MAX

# Domain separation: this key seals console cookies and nothing else.
KEY_INFO: Final = b"digisom console session cookie v1"
NONCE_BYTES: Final = 12
CSRF_TOKEN_BYTES: Final = 32
# A sealed token of at most TOKEN_CHARS_MAX, base64: browsers keep cookies up to 4096 bytes.
COOKIE_CHARS_MAX: Final = 4 * (TOKEN_CHARS_MAX + 200) // 3 + 64
# Plain HTTP (development, tests): scoped to the console's path. Over TLS the `__Host-`
# prefix makes the browser refuse a cookie planted by a sibling domain or sent without Secure.
COOKIE_NAME_HTTP: Final = "digisom_console"
COOKIE_NAME_HTTPS: Final = "__Host-digisom_console"


@dataclass(frozen=True, slots=True)
class Session:
    """What a console cookie holds: the bearer token signed in with, the CSRF token of this
    session and the id of its row on the server."""

    token: str
    csrf_token: str
    session_id: str


def new_session(token: str, session_id: str) -> Session:
    """A session for `token`, its row `session_id`, with a fresh CSRF token (a new one at every sign-in)."""
    return Session(token, secrets.token_urlsafe(CSRF_TOKEN_BYTES), session_id)


def session_key(platform_key: Ed25519PrivateKey) -> bytes:
    """The 256-bit cookie key, derived from the platform's signing key (HKDF-SHA256)."""
    secret = platform_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(secret)


@dataclass(frozen=True)
class SessionSeal:
    """Seals sessions into cookie values and opens them; anything else opens to None."""

    key: bytes

    def seal(self, session: Session) -> str:
        """The cookie value for `session`."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        plain = json.dumps({"t": session.token, "c": session.csrf_token, "s": session.session_id},
                           separators=(",", ":")).encode()
        sealed = AESGCM(self.key).encrypt(nonce, plain, KEY_INFO)
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, value: str | None) -> Session | None:
        """The session a cookie value seals, or None for a missing, forged, tampered or oversized one."""
        if not value or len(value) > COOKIE_CHARS_MAX:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            plain = AESGCM(self.key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], KEY_INFO)
            fields = json.loads(plain)
        except (binascii.Error, ValueError, InvalidTag):
            return None
        # A cookie sealed before sessions had rows (no "s") opens to None: sign in again.
        if not isinstance(fields, dict) or not all(isinstance(fields.get(name), str) for name in ("t", "c", "s")):
            return None
        return Session(fields["t"], fields["c"], fields["s"])
