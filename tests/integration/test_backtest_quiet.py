"""A replay that skips its quiet minutes is bit-identical to one that decides every minute.

``Replay(skip_quiet=False)`` runs the full LIVE cycle every minute: the reference. The default
replay values quiet minutes (nothing open, no strategy able to signal) without deciding. For
several seeds, data with short and long gaps, cycle lengths, fill conditions and strategy
settings, both must write the same trades and equity files byte for byte, with the same
fingerprint and counts - and most minutes must really have been skipped, or the comparison
would prove nothing. In a minute nothing can trade (halted, or reducing with nothing held) only
the symbols that may signal are decided; the counts alone must then catch a wrong screen.
A screen that wrongly calls a minute quiet must be caught.

Fast mode (``Replay(fast=True)``, ``btcbot backtest --fast``) decides none of the minutes in
which nothing can trade: over the same cases it must write the same trades and equity files
with the same fingerprint, with or without the quiet minutes, and only the signal counts may
differ; a fast mode that also skipped a minute in which something could trade must be caught.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from candle_files import write_candles

from btcbot.backtest import outputs
from btcbot.backtest.candles import candle_paths, load, reopened
from btcbot.backtest.engine import (
    CycleHook,
    HeldBooks,
    Replay,
    ReplayResult,
    ReplaySetup,
    ReplayState,
)
from btcbot.backtest.plan import Plan, plan
from btcbot.backtest.screens import Holding, TrendScreen
from btcbot.decision import DecisionCore
from btcbot.domain.fingerprint import fill_fingerprint
from btcbot.domain.trading import RiskLimits, TradingState
from btcbot.risk.engine import RiskEngine
from btcbot.sim.exchange import SimConfig
from btcbot.sim.validation import parse_order
from btcbot.strategy.engine import StrategyEngine
from btcbot.strategy.params import MeanReversionParams, StrategyParams, TrendParams
from btcbot.strategy.trend import TrendFollower
from btcbot.wiring.demo import demo_strategy

TIGHT = StrategyParams(
    trend=TrendParams(fast_window=2, slow_window=7, order_notional_try=Decimal(700)),
    mean_reversion=MeanReversionParams(
        window=6,
        entry_z=Decimal("1.1"),
        take_profit_pct=Decimal("0.2"),
        stop_loss_pct=Decimal("0.15"),
        order_notional_try=Decimal(900),
    ),
)


@dataclass(frozen=True)
class Case:
    """One data set and one configuration."""

    seed: int
    gap_every: int = 0
    hole: bool = False  # also a 90-minute hole: flat candles, a window with no deviation
    strategy: StrategyParams = field(default_factory=StrategyParams)
    participation: str = "0.25"  # "0.002": orders rest and fill in pieces
    cycle_seconds: float = 60.0
    limits: RiskLimits = field(default_factory=RiskLimits)
    symbols: int = 2


# A drawdown threshold a few ticks deep: the state goes REDUCING and back, often in minutes
# where nothing else happens (the quiet test must leave those to the full cycle).
EDGY = RiskLimits(
    reduce_at_drawdown_pct=Decimal("0.01"),
    max_drawdown_pct=Decimal("0.4"),
    max_daily_loss_try=Decimal(150),
)
# A drawdown limit reached within the first hours: most of the replay is HALTED (sticky), where
# only the symbols that may signal are decided (``Replay._narrowed_row``).
HALTS = RiskLimits(reduce_at_drawdown_pct=Decimal("0.005"), max_drawdown_pct=Decimal("0.01"))


CASES = [
    Case(seed=1),
    Case(seed=2, gap_every=7, hole=True, strategy=demo_strategy()),
    Case(seed=3, strategy=TIGHT, participation="0.002"),
    Case(seed=4, gap_every=29, hole=True, strategy=TIGHT, cycle_seconds=150.0),
    Case(seed=5, strategy=StrategyParams(enabled=("mean_reversion",)), participation="0.002"),
    Case(seed=7, strategy=demo_strategy(), limits=EDGY),
    Case(seed=8, gap_every=11, cycle_seconds=30.0),  # two cycles on each newest candle
    Case(seed=9, gap_every=13, limits=HALTS, symbols=5),
    Case(seed=10, hole=True, strategy=TIGHT, participation="0.002", limits=HALTS, symbols=3),
    Case(seed=11, strategy=demo_strategy(), limits=HALTS, symbols=1, cycle_seconds=150.0),
]
# Minutes in which nothing can trade: halted, or (EDGY) reducing with nothing held.
UNTRADABLE = [case for case in CASES if case.limits is HALTS or case.limits is EDGY]


def _candles(out: Path, case: Case) -> Path:
    paths = write_candles(
        out, minutes=1500, seed=case.seed, symbols=case.symbols, gap_every=case.gap_every
    )
    if case.hole:
        for path in paths:
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            path.write_text("".join(lines[:700] + lines[790:]), encoding="utf-8")
    return out


def _plan(data: Path, case: Case) -> Plan:
    base = ReplaySetup(
        symbols=tuple(sorted(path.stem for path in candle_paths(data))),
        strategy=case.strategy,
        cycle_seconds=case.cycle_seconds,
        limits=case.limits,
        sim=SimConfig(participation=Decimal(case.participation)),
    )
    return plan(load(candle_paths(data)), base, start=None, end=None, settings={})


def _run(the_plan: Plan, *, skip_quiet: bool, fast: bool = False) -> tuple[Replay, ReplayResult]:
    feeds = {s: reopened(b) for s, b in the_plan.feeds.items()}
    replay = Replay(feeds, the_plan.setup, core=the_plan.core, skip_quiet=skip_quiet, fast=fast)
    return replay, replay.run()


def _outcome(result: ReplayResult) -> tuple[object, ...]:
    """Everything a backtest writes or counts, as text where it writes text."""
    return (
        fill_fingerprint(result.fills),
        outputs.trades_csv(result),
        outputs.equity_csv(result),
        (result.submitted, result.rejected, result.canceled, result.signals),
        (result.risk_rejections, result.cycles, str(result.max_drawdown_pct)),
        result.final,
    )


def _written(result: ReplayResult) -> tuple[object, ...]:
    """What fast mode must keep: everything but the signal and refusal counts."""
    return (
        fill_fingerprint(result.fills),
        outputs.trades_csv(result),
        outputs.equity_csv(result),
        (result.submitted, result.rejected, result.canceled, len(result.rows)),
        (result.cycles, str(result.max_drawdown_pct)),
        result.final,
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c.seed}")
def test_skipping_quiet_minutes_changes_not_one_byte(tmp_path: Path, case: Case) -> None:
    """Same trades.csv, equity.csv, fingerprint and counts; most minutes were skipped."""
    the_plan = _plan(_candles(tmp_path, case), case)
    reference_replay, reference = _run(the_plan, skip_quiet=False)
    replay, result = _run(the_plan, skip_quiet=True)
    assert reference_replay.quiet is None
    assert replay.quiet is not None
    assert len(reference.fills) > (1 if case.limits is HALTS else 5), "a data set that trades"
    if case.limits is EDGY:
        assert reference.risk_rejections > 0, "the trading state moved"
    assert _outcome(result) == _outcome(reference)
    # Hundreds of minutes not decided in full in each case (over a third of them with the tight
    # settings): valued without a decision, or, halted, decided for fewer symbols.
    quiet = replay.quiet
    assert quiet.skipped + quiet.narrowed > result.cycles // 3, (quiet.skipped, result.cycles)
    if case in UNTRADABLE:
        assert quiet.narrowed > 100, quiet.narrowed


def _blind_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Case
) -> tuple[ReplayResult, Replay, ReplayResult]:
    """The reference, then a replay whose trend screen misses every entry."""
    the_plan = _plan(_candles(tmp_path, case), case)
    _, reference = _run(the_plan, skip_quiet=False)
    sound = TrendScreen.may_signal

    def blind(self: TrendScreen, holding: Holding) -> bool:
        return sound(self, holding) and holding.quantity > 0

    monkeypatch.setattr(TrendScreen, "may_signal", blind)
    replay, result = _run(the_plan, skip_quiet=True)
    return reference, replay, result


def test_a_screen_that_calls_a_crossing_quiet_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The negative control: a trend screen blind to crossings up changes the fills."""
    reference, _, result = _blind_run(tmp_path, monkeypatch, CASES[0])
    assert fill_fingerprint(result.fills) != fill_fingerprint(reference.fills)


@pytest.mark.parametrize("case", UNTRADABLE, ids=lambda c: f"seed{c.seed}")
def test_a_screen_blind_while_nothing_can_trade_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    """The narrowed minutes' negative control: nothing trades, so the counts must tell."""
    reference, replay, result = _blind_run(tmp_path, monkeypatch, case)
    assert replay.quiet is not None
    assert replay.quiet.narrowed > 0
    counted = (result.signals, result.risk_rejections)
    assert counted != (reference.signals, reference.risk_rejections)


class _Tuned(TrendFollower):
    """A built-in strategy's subclass: its ``evaluate`` may be anything, so it has no screen."""


def test_a_user_strategy_has_every_minute_decided(tmp_path: Path) -> None:
    """No screen for code we did not write (or a subclass of ours): the quiet test is off."""
    the_plan = _plan(_candles(tmp_path, CASES[0]), CASES[0])
    for strategy in (_Tuned(TrendParams()), TrendFollower(TrendParams())):
        core = DecisionCore(StrategyEngine([strategy]), RiskEngine(RiskLimits()))
        feeds = {s: reopened(b) for s, b in the_plan.feeds.items()}
        replay = Replay(feeds, the_plan.setup, core=core)
        assert (replay.quiet is None) is (type(strategy) is _Tuned)


def _rest_a_buy(replay: Replay) -> int:
    """Place a buy of BTCTRY 3 % under the best bid, straight on the emulator; its id."""
    bid = replay.venue.quote("BTCTRY")[0]
    body = {
        "pairSymbol": "BTCTRY", "orderType": "buy", "orderMethod": "limit",
        "quantity": "0.001", "price": str(int(bid * Decimal("0.97"))),
        "newOrderClientId": "resting",
    }  # fmt: skip
    return replay.sim.submit(parse_order(body, replay.sim.pairs)).id


def test_no_minute_is_quiet_or_narrowed_while_an_order_of_ours_rests(tmp_path: Path) -> None:
    """A resting order can fill or be cancelled in any minute: each of them is a full cycle."""
    the_plan = _plan(_candles(tmp_path, CASES[0]), CASES[0])
    feeds = {s: reopened(b) for s, b in the_plan.feeds.items()}
    replay = Replay(feeds, the_plan.setup, core=the_plan.core)
    quiet = replay.quiet
    assert quiet is not None
    looks: list[tuple[bool, bool]] = []

    def look(number: int, now: datetime, state: ReplayState) -> None:
        if number == 60:  # it rests (and the replay cancels it later)
            _rest_a_buy(replay)
        if number in (60, 61):
            held = HeldBooks.of(state.ledger).held
            looks.append(
                (
                    quiet.look(now, held, every=False) is None,
                    quiet.look(now, held, every=True) is None,
                )
            )

    replay.run(on_cycle=look)
    assert looks == [(True, True), (True, True)]


@pytest.mark.parametrize("skip_quiet", [True, False], ids=["quiet", "every-minute"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c.seed}")
def test_fast_mode_writes_the_same_trades_and_equity(
    tmp_path: Path, case: Case, skip_quiet: bool
) -> None:
    """Same files and fingerprint; the undecided minutes are those nothing could trade in.

    Without the quiet minutes (``every-minute``) it is fast mode as a strategy with no screen
    (your own) gets it.
    """
    the_plan = _plan(_candles(tmp_path, case), case)
    _, reference = _run(the_plan, skip_quiet=False)
    _, result = _run(the_plan, skip_quiet=skip_quiet, fast=True)
    assert _written(result) == _written(reference)
    if case in UNTRADABLE:
        assert result.undecided > 100, result.undecided
    if result.undecided:  # their signals and refusals are not counted
        assert result.signals <= reference.signals
        assert result.risk_rejections < reference.risk_rejections
    else:
        assert _outcome(result) == _outcome(reference)


def _rest_an_order_once_halted(replay: Replay) -> CycleHook:
    """A buy far under the book, placed in the first halted minute.

    It is given the replay's own age, so the full cycle cancels it at its TTL, halted or not.
    """
    placed: list[int] = []

    def place(number: int, now: datetime, state: ReplayState) -> None:
        if state.trading_state is TradingState.HALTED and not placed:
            placed.append(order := _rest_a_buy(replay))
            state.created[order] = now

    return place


def test_fast_mode_leaves_a_resting_order_to_the_full_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An order of ours resting while halted is cancelled at its TTL as without fast mode.

    A fast mode blind to it (the negative control) never cancels it.
    """
    case = CASES[7]
    the_plan = _plan(_candles(tmp_path, case), case)
    outcomes = []
    for fast, blind in ((False, False), (True, False), (True, True)):
        if blind:
            _blind_to_resting_orders(monkeypatch)
        feeds = {s: reopened(b) for s, b in the_plan.feeds.items()}
        replay = Replay(feeds, the_plan.setup, core=the_plan.core, fast=fast)
        result = replay.run(on_cycle=_rest_an_order_once_halted(replay))
        outcomes.append((_written(result), result.canceled, result.undecided))
    (reference, cancels, _), (sound, _, undecided), (broken, _, _) = outcomes
    assert cancels > 0, "the full cycle cancelled the resting buy at its TTL"
    assert undecided > 100
    assert sound == reference
    assert broken != reference


def _blind_to_resting_orders(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast mode without its open-order check: a resting order's minutes go undecided."""
    sound = Replay._undecided_row

    def blind(self: Replay, *args: Any) -> bool:
        kept, self.venue.sim.open = self.venue.sim.open, {}
        try:
            return sound(self, *args)
        finally:
            self.venue.sim.open = kept

    monkeypatch.setattr(Replay, "_undecided_row", blind)


def _reducing_is_untradable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast mode skipping every REDUCING minute, also those whose sells could cut a position."""

    def approves_nothing(self: Replay, state: ReplayState) -> bool:
        return state.trading_state is not TradingState.ACTIVE

    monkeypatch.setattr(Replay, "_approves_nothing", approves_nothing)


@pytest.mark.parametrize(
    ("case", "breakage"),
    [(CASES[5], _reducing_is_untradable)],
    ids=["reducing-while-holding"],
)
def test_a_fast_mode_skipping_a_tradable_minute_is_caught(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: Case,
    breakage: Callable[[pytest.MonkeyPatch], None],
) -> None:
    """The negative controls: each breakage moves a fill, a cancel or the equity series."""
    the_plan = _plan(_candles(tmp_path, case), case)
    _, reference = _run(the_plan, skip_quiet=True)
    breakage(monkeypatch)
    _, result = _run(the_plan, skip_quiet=True, fast=True)
    assert _written(result) != _written(reference)


def test_a_fast_replay_that_must_log_every_signal_is_refused(tmp_path: Path) -> None:
    """A fast replay keeping the lookahead check's signal log is refused, not run without fast.

    The log needs every decision; the command refuses ``--fast --check-lookahead`` the same way.
    """
    case = CASES[0]
    the_plan = _plan(_candles(tmp_path, case), case)
    feeds = {s: reopened(b) for s, b in the_plan.feeds.items()}
    with pytest.raises(ValueError, match="signal log"):
        Replay(feeds, the_plan.setup, core=the_plan.core, fast=True, log_signals=True)
