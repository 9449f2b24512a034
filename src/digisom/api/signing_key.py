"""The server's token-signing key on disk: loaded from a PEM file, or created once in the
data directory, readable by its owner only (`digisom.stores.private_files`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.http.auth import TokenError
from digisom.stores.private_files import FILE_MODE, private_dir, private_file

KEY_FILE_NAME: Final = "api-signing-key.pem"


def load_or_create_key(data_dir: Path) -> Ed25519PrivateKey:
    """The server's signing key from `data_dir`, generated if absent; the directory is
    made 0700 and the key file 0600 (an existing one tightened: `private_files`)."""
    path = private_dir(data_dir) / KEY_FILE_NAME
    if path.exists():
        return load_key(private_file(path))
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return load_key(private_file(path))
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TokenError(f"{path.name} does not hold an Ed25519 private key")
    return key
