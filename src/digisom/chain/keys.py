"""Signing keys: from a file or an environment variable, never from the repository.

A key file holds one hex private key (with or without 0x) and nothing else. The adapter
refuses to start without a key (`KeyMissing`) rather than fall back to a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from digisom.chain.errors import KeyMissing

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

KEY_ENV_VAR: Final = "DIGISOM_CHAIN_KEY"
# A hex private key is 64 characters; anything much longer is not a key file.
KEY_FILE_BYTES_MAX: Final = 256


def key_from_text(text: str, source: str) -> LocalAccount:
    """The account of a hex private key; `KeyMissing` names `source` if it is not one."""
    # Imported here: the CLI reads this module's names for its help, and must not load
    # the EVM stack to print it.
    from eth_account import Account  # noqa: PLC0415

    try:
        account: LocalAccount = Account.from_key(text.strip())
    except (ValueError, TypeError):
        raise KeyMissing(f"{source} does not hold a hex private key") from None
    return account


def generate_key() -> LocalAccount:
    """A fresh random key (the demo's actors)."""
    from eth_account import Account  # noqa: PLC0415

    account: LocalAccount = Account.create()
    return account


def load_key(key_file: Path | None = None, env: Mapping[str, str] | None = None,
             env_var: str = KEY_ENV_VAR) -> LocalAccount:
    """The signing key from `key_file` if given, else from the environment variable `env_var`."""
    if key_file is not None:
        try:
            with key_file.open("rb") as handle:
                raw = handle.read(KEY_FILE_BYTES_MAX + 1)
        except OSError as error:
            raise KeyMissing(f"cannot read key file {key_file}: {error.strerror}") from None
        if len(raw) > KEY_FILE_BYTES_MAX:
            raise KeyMissing(f"key file {key_file} is too large to be a key")
        return key_from_text(raw.decode(errors="replace"), f"key file {key_file}")
    environ = os.environ if env is None else env
    text = environ.get(env_var, "")
    if not text:
        raise KeyMissing(f"no signing key: give --key-file or set {env_var}")
    return key_from_text(text, f"${env_var}")
