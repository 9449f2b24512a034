"""The console over USDKG on two fake chains (ids 1 and 56), shared by the console's and
the security suite's USDKG tests: signers registered, a bar in the vault and a fresh
price, so a mint has room; the signers' keys stay with the test (the console holds none)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from digisom.api.runtime import build
from digisom.console.app import mount
from digisom.usdkg import units
from tests.api.world import World
from tests.console.browser import Browser
from tests.usdkg.api_world import FakeChain, FakeHolders, UsdkgApi
from tests.usdkg.world import bar_row, csv_bytes

USDKG = "/console/usdkg"
MINTS = f"{USDKG}/mints"
REDEMPTIONS = f"{USDKG}/redemptions"
AUDITS = f"{USDKG}/audits"
PRICE_CENTS_PER_OZ = 265_000
BAR_UNITS = units.value_units(units.fine_weight_moz(400_125, 9999), PRICE_CENTS_PER_OZ)  # `bar_row`'s bar
HOLDER = "0x" + "ab" * 20
FORM_KEY = re.compile(r'action="/console/usdkg/(mints|redemptions)">\s*<input type="hidden" name="csrf_token" '
                      r'value="[^"]+">\s*<input type="hidden" name="form_key" value="([0-9a-f]+)">')


@contextmanager
def usdkg_desk(folder: Path) -> Iterator[UsdkgApi]:
    """USDKG with the console mounted, ready to mint up to one bar's value."""
    chains = {1: FakeChain(1), 56: FakeChain(56)}
    runtime = build(data_dir=folder / "data", usdkg_chains=chains, usdkg_holders=FakeHolders(chains))
    mount(runtime.app, runtime.issuer.key)
    try:
        api = UsdkgApi(World.create(runtime), chains)
        api.register_signers()
        api.world.ok(api.import_bars(csv_bytes([bar_row("KG0001")])), 201)
        api.world.ok(api.upload_price(PRICE_CENTS_PER_OZ, api.now - timedelta(hours=1)), 201)
        yield api
    finally:
        runtime.close()


def browser(api: UsdkgApi, who: str) -> Browser:
    """`who`'s browser, signed in, on the USDKG page."""
    return Browser.signed_in(api.world.runtime, api.world.tokens[who], USDKG)


def form_keys(page_text: str) -> dict[str, str]:
    """The one-time key of the mint and the redemption form on the page, by form."""
    return dict(FORM_KEY.findall(page_text))


def minted(api: UsdkgApi) -> list[str]:
    """What every chain was asked to do."""
    return [sent for chain in api.chains.values() for sent in chain.sent]
