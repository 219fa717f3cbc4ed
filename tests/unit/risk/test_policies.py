"""TradingArmedPolicy: the pure last gate before any submit or cancel."""

from __future__ import annotations

import dataclasses

import pytest

from btcbot.domain.enums import ExchangeKind, RequestKind, Role
from btcbot.domain.errors import TradeBlockedError
from btcbot.risk.policies import BlockReason, TradingArmedPolicy, TradingFacts

ARMED_LIVE = TradingFacts(
    role=Role.LIVE,
    live_trading=True,
    ack=True,
    safe_mode=False,
    kill_switch=False,
    armed=True,
    kill_file_present=False,
    exchange=ExchangeKind.BTCTURK,
)
DRY_RUN = dataclasses.replace(
    ARMED_LIVE, live_trading=False, ack=False, armed=False, exchange=ExchangeKind.SIM
)
POLICY = TradingArmedPolicy()


def test_fully_armed_live_may_submit_and_cancel() -> None:
    """Every flag right, armed, no kill file: submit and cancel both pass."""
    POLICY.check_submit(ARMED_LIVE)
    POLICY.check_cancel(ARMED_LIVE)


def test_dry_run_on_the_emulator_may_submit_without_arming() -> None:
    """LIVE_TRADING=false against EXCHANGE=sim needs no arming: no real money moves."""
    POLICY.check_submit(DRY_RUN)


def test_paper_mode_may_submit_to_its_local_engine() -> None:
    """LIVE_TRADING=false with EXCHANGE=btcturk is paper mode: orders go to the local engine.

    Where they may *go* is the egress guard's business (tests/unit/exchange/test_egress.py).
    """
    paper = dataclasses.replace(ARMED_LIVE, live_trading=False, ack=False, armed=False)
    POLICY.check_submit(paper)
    assert BlockReason.DRY_RUN in POLICY.egress_blockers(paper, RequestKind.ORDER_POST)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"role": Role.MONITOR}, BlockReason.NOT_LIVE_ROLE),
        ({"ack": False}, BlockReason.NOT_ACKNOWLEDGED),
        ({"safe_mode": True}, BlockReason.SAFE_MODE),
        ({"kill_switch": True}, BlockReason.KILL_SWITCH),
        ({"armed": False}, BlockReason.NOT_ARMED),
        ({"kill_file_present": True}, BlockReason.KILL_FILE),
        ({"exchange": ExchangeKind.SIM}, BlockReason.LIVE_ON_EMULATOR),
    ],
)
def test_each_single_mismatch_blocks_submit_and_names_itself(
    change: dict[str, object], reason: BlockReason
) -> None:
    """Changing any one fact of an armed LIVE blocks a submit with that reason in the message."""
    facts = dataclasses.replace(ARMED_LIVE, **change)  # type: ignore[arg-type]
    assert POLICY.submit_blockers(facts) == [reason]
    with pytest.raises(TradeBlockedError, match=r"^submit blocked: ") as info:
        POLICY.check_submit(facts)
    assert reason.value in str(info.value)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"kill_file_present": True}, BlockReason.KILL_FILE),
        ({"kill_switch": True}, BlockReason.KILL_SWITCH),
        ({"safe_mode": True}, BlockReason.SAFE_MODE),
        ({"role": Role.MONITOR}, BlockReason.NOT_LIVE_ROLE),
    ],
)
def test_dry_run_is_still_blocked_by_kill_and_role(
    change: dict[str, object], reason: BlockReason
) -> None:
    """A dry run obeys the kill file, the kill switch, safe mode and the role."""
    facts = dataclasses.replace(DRY_RUN, **change)  # type: ignore[arg-type]
    assert POLICY.submit_blockers(facts) == [reason]


def test_all_reasons_are_reported_together() -> None:
    """Several mismatches are all named, so the operator fixes them in one go."""
    facts = dataclasses.replace(ARMED_LIVE, armed=False, kill_file_present=True, safe_mode=True)
    assert POLICY.submit_blockers(facts) == [
        BlockReason.SAFE_MODE,
        BlockReason.KILL_FILE,
        BlockReason.NOT_ARMED,
    ]


def test_cancel_is_allowed_when_disarmed_or_killed() -> None:
    """A disarmed, killed LIVE may still cancel: cancels only reduce exposure."""
    facts = dataclasses.replace(ARMED_LIVE, armed=False, kill_file_present=True, kill_switch=True)
    POLICY.check_cancel(facts)
    POLICY.check_cancel(dataclasses.replace(DRY_RUN, kill_file_present=True))


@pytest.mark.parametrize(
    "facts",
    [
        dataclasses.replace(ARMED_LIVE, role=Role.MONITOR),
        dataclasses.replace(ARMED_LIVE, exchange=ExchangeKind.SIM),
    ],
)
def test_cancel_is_refused_for_monitor_or_mismatched_exchange(facts: TradingFacts) -> None:
    """The MONITOR never cancels, and a cancel never goes to an exchange the mode does not own."""
    with pytest.raises(TradeBlockedError, match=r"^cancel blocked: "):
        POLICY.check_cancel(facts)


def test_keyword_check_is_check_submit() -> None:
    """check() without exchange assumes btcturk: armed live passes, unarmed live is refused."""
    POLICY.check(
        role=Role.LIVE,
        live_trading=True,
        ack=True,
        safe_mode=False,
        kill_switch=False,
        armed=True,
        kill_file_present=False,
    )
    with pytest.raises(TradeBlockedError, match="not armed"):
        POLICY.check(
            role=Role.LIVE,
            live_trading=True,
            ack=True,
            safe_mode=False,
            kill_switch=False,
            armed=False,
            kill_file_present=False,
        )


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("role", Role.MONITOR, BlockReason.NOT_LIVE_ROLE),
        ("ack", False, BlockReason.NOT_ACKNOWLEDGED),
        ("safe_mode", True, BlockReason.SAFE_MODE),
        ("kill_switch", True, BlockReason.KILL_SWITCH),
        ("kill_file_present", True, BlockReason.KILL_FILE),
        ("exchange", ExchangeKind.SIM, BlockReason.LIVE_ON_EMULATOR),
    ],
)
def test_keyword_check_passes_every_fact_through(
    field: str, value: object, reason: BlockReason
) -> None:
    """Each keyword reaches the policy: one flipped from armed live refuses, naming it."""
    facts = dataclasses.asdict(ARMED_LIVE) | {field: value}
    del facts["clock_trusted"]
    with pytest.raises(TradeBlockedError) as raised:
        POLICY.check(**facts)
    assert reason.value in str(raised.value)


def test_an_untrusted_exchange_clock_blocks_submits_but_never_cancels() -> None:
    """New orders wait for a known clock; cancels (exposure down) still go."""
    facts = dataclasses.replace(ARMED_LIVE, clock_trusted=False)
    assert POLICY.submit_blockers(facts) == [BlockReason.CLOCK_UNTRUSTED]
    assert POLICY.cancel_blockers(facts) == []
