"""Fixed keys and valid inputs the corpus builder and the fuzz targets share."""

from __future__ import annotations

from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.http.auth import TokenIssuer
from digisom.kernel.access import Role
from digisom.offline.sync_request import sign_sync_request
from digisom.offline.upload import Receipt, Upload
from tests.offline.world import NOW_S, World, signer

# The three OFAC files (sdn, alt, add) travel as one fuzz input, split at this marker.
OFAC_SEPARATOR: Final = b"\n--8<--\n"
# A fixed key, so that signed seeds stay valid between runs.
SERVER_KEY: Final = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def tokens() -> dict[str, str]:
    """Valid tokens of a few shapes (they expire: their structure is what matters as seeds)."""
    issuer = TokenIssuer(SERVER_KEY)
    return {
        "registrar": issuer.issue(Role.REGISTRAR, "registrar-1"),
        "bank-operator": issuer.issue(Role.BANK_OPERATOR, "op-7", bank_code="118001"),
        "wallet-holder": issuer.issue(Role.WALLET_HOLDER, "w-1", bank_code="109001"),
    }


def offline_corpus() -> dict[str, dict[str, bytes]]:
    """A payment, and a device's signed sync request holding it sent and received."""
    world = World()
    payer = world.device("pensioner")
    payee = world.device("merchant", fund_tyiyn=0)
    payment = payer.pay(payee.certificate.key_id, 12_345, NOW_S)
    second = payer.pay(payee.certificate.key_id, 1, NOW_S + 60)
    sent = Upload(payer.certificate.key_id, (payment, second), ())
    received = Upload(payee.certificate.key_id, (), (Receipt(payment, NOW_S + 5, 0),))
    return {
        "offline_payment": {"payment.cbor": payment, "second.cbor": second},
        "offline_sync": {
            "sent.cbor": sign_sync_request(signer("pensioner"), sent, NOW_S + 100, 12_346, False, 1_000_000),
            "received-return.cbor": sign_sync_request(signer("merchant"), received, NOW_S + 100, 0, True, 0),
        },
    }
