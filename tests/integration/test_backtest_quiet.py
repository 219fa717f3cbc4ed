"""A replay that skips its quiet minutes is bit-identical to one that decides every minute.

``Replay(skip_quiet=False)`` runs the full LIVE cycle every minute: the reference. The default
replay values quiet minutes (nothing open, no strategy able to signal) without deciding. For
several seeds, data with short and long gaps, cycle lengths, fill conditions and strategy
settings, both must write the same trades and equity files byte for byte, with the same
fingerprint and counts - and most minutes must really have been skipped, or the comparison
would prove nothing. In a minute nothing can trade (halted, or reducing with nothing held) only
the symbols that may signal are decided; the counts alone must then catch a wrong screen.
A screen that wrongly calls a minute quiet must be caught.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from candle_files import write_candles

from btcbot.backtest import outputs
from btcbot.backtest.candles import candle_paths, load, reopened
from btcbot.backtest.engine import HeldBooks, Replay, ReplayResult, ReplaySetup, ReplayState
from btcbot.backtest.plan import Plan, plan
from btcbot.backtest.screens import Holding, TrendScreen
from btcbot.decision import DecisionCore
from btcbot.domain.fingerprint import fill_fingerprint
from btcbot.domain.trading import RiskLimits
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


def _run(the_plan: Plan, *, skip_quiet: bool) -> tuple[Replay, ReplayResult]:
    feeds = {s: reopened(b) for s, b in the_plan.feeds.items()}
    replay = Replay(feeds, the_plan.setup, core=the_plan.core, skip_quiet=skip_quiet)
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


def test_no_minute_is_quiet_or_narrowed_while_an_order_of_ours_rests(tmp_path: Path) -> None:
    """A resting order can fill or be cancelled in any minute: each of them is a full cycle."""
    the_plan = _plan(_candles(tmp_path, CASES[0]), CASES[0])
    feeds = {s: reopened(b) for s, b in the_plan.feeds.items()}
    replay = Replay(feeds, the_plan.setup, core=the_plan.core)
    quiet = replay.quiet
    assert quiet is not None
    looks: list[tuple[bool, bool]] = []

    def look(number: int, now: datetime, state: ReplayState) -> None:
        if number == 60:  # a buy far under the book rests (and the replay cancels it later)
            bid = replay.venue.quote("BTCTRY")[0]
            body = {
                "pairSymbol": "BTCTRY", "orderType": "buy", "orderMethod": "limit",
                "quantity": "0.001", "price": str(int(bid * Decimal("0.97"))),
                "newOrderClientId": "resting",
            }  # fmt: skip
            replay.sim.submit(parse_order(body, replay.sim.pairs))
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
