"""Property: whatever sequence of remittances, freezes and screening decisions, the
partner's position and every recipient's money (wallet plus linked deposit, the waterfall's
destination) equal a reference model's, each remittance is paid whole or not at all, and
circulation equals issuance with the positions counted."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digisom.cbdc.accounts import deposit_account_id, wallet_account_id
from digisom.remittance.model import Status
from tests.cbdc.conftest import COMMERCIAL_BANK
from tests.remittance.conftest import PARTNER, PREFUND_TYIYN, build_world

HOLDERS = 3
step = st.one_of(
    st.tuples(st.just("send"), st.integers(0, HOLDERS - 1), st.integers(1_00, 60_000_00),
              st.sampled_from(["clear", "hit", "review"])),
    st.tuples(st.just("freeze"), st.integers(0, HOLDERS - 1), st.booleans(), st.just("")),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_positions_and_wallets_match_the_reference_model(tmp_path_factory: object, steps: list[tuple]) -> None:
    folder: Path = tmp_path_factory.mktemp("remit")  # type: ignore[attr-defined]
    world = build_world(folder)
    try:
        holders = [world.wallet(f"holder-{i}", tier=i) for i in range(HOLDERS)]  # tiers 0..2: some overflow
        frozen = [False] * HOLDERS
        model_position = PREFUND_TYIYN
        model_held = [0] * HOLDERS
        for number, (kind, who, value, screening) in enumerate(steps):
            if kind == "freeze":
                if frozen[who] == bool(value):
                    continue
                world.cbdc.service.set_frozen(COMMERCIAL_BANK, holders[who], bool(value), "order", f"case-{number}")
                frozen[who] = bool(value)
                continue
            recipient = f"Recipient {number}"
            if screening == "hit":
                world.screener.hits.add(recipient)
            elif screening == "review":
                world.screener.reviews.add(recipient)
            quote = world.remit.quote(PARTNER, "RUB", int(value))
            (outcome,) = world.remit.send_many([world.request(
                quote.quote_id, recipient_wallet_id=holders[who], recipient_name=recipient,
                sender_id=f"s-{number}")])
            assert not isinstance(outcome, Exception)
            expected = (Status.RETURNED if screening == "hit" else Status.PENDING_REVIEW if screening == "review"
                        else Status.RETURNED if frozen[who] else Status.PAID)
            assert outcome.status is expected, outcome.reason
            if expected is Status.PAID:
                model_position -= quote.receive_tyiyn
                model_held[who] += quote.receive_tyiyn
                assert outcome.to_wallet_tyiyn + outcome.waterfall_tyiyn == quote.receive_tyiyn
        assert world.remit.position_tyiyn(PARTNER) == model_position
        for who, wallet in enumerate(holders):
            held = world.balance(wallet_account_id(wallet)) + world.balance(deposit_account_id(wallet))
            assert held == model_held[who]
        assert world.circulation().balanced
    finally:
        world.submitter.close()
        world.cbdc.engine.dispose()
