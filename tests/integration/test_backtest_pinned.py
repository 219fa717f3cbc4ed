"""Three replays pinned to the trades and equity files they wrote when these pins were taken.

Every other backtest test compares two runs of today's code (quiet minutes against full cycles,
fast against step, streamed against held candles, the backtest against the LIVE loop): a change
to the emulator's book, the price path or the ledger moves both sides alike and passes them
all. These pins hold today's outputs to the ones recorded (the bundled candles with the default
strategies; the demo's strategies trading all the way; generated candles with gaps under tight
limits, so most minutes go undecided). Speed work must leave them as they are; a change that
means to alter what a backtest does updates them in the same commit and says why.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from candle_files import write_candles

from btcbot.backtest import outputs
from btcbot.backtest.candles import load
from btcbot.backtest.engine import ReplaySetup
from btcbot.backtest.plan import plan
from btcbot.domain.trading import RiskLimits
from btcbot.sim.datasets import bundled_paths
from btcbot.strategy.params import StrategyParams
from btcbot.wiring.demo import demo_strategy

UNREACHED = RiskLimits(
    reduce_at_drawdown_pct=Decimal(100),
    max_drawdown_pct=Decimal(100),
    max_daily_loss_try=Decimal(10**9),
)
TIGHT = RiskLimits(reduce_at_drawdown_pct=Decimal("0.5"), max_daily_loss_try=Decimal(600))

# case: (fingerprint, sha256 of trades.csv, sha256 of equity.csv, fills, final equity, undecided)
PINS = {
    "bundled, default strategies": (
        "313e841f74533edf5bc0f29ae70c0dfcf37ab1abb601beed25fb60d2ca7c3c9b",
        "70cf24b878b88bf652db0b0f2b3ccd08e0a431422429ce2d2699dd23fad31a51",
        "870581cceac43eef1f470f14e2404d74ef1f976188b93fafab65021f090e35ba",
        575,
        "98822.13683155",
        0,
    ),
    "bundled, demo strategies, limits never reached": (
        "ecbd68399b393b7a626a4c41d68f7aee3cf78f17b3c9fec400aedc3281f424f4",
        "e2de9278d5125b770115a2f7e4239fd7f82cdaa48979d5d5240f49d0631cad34",
        "ec4c4d80a4ee0823a429569e01a18359e11a03cbbf0dcec59b01de3733473da5",
        938,
        "97333.67779724",
        0,
    ),
    "gaps, demo strategies, tight limits": (
        "d3c01e18cd708472d03cf9d06f77299f2db1248b7c21b4cff2d978d6db43868f",
        "a561a9db3011c91bff9c81e14d6c0cb025693731ef3302d761a4269b2c1e7377",
        "706a782657c13821903bf835337da1eb86053f83a547ff94584e6af17d6c12ce",
        158,
        "99492.39257225",
        2238,
    ),
}


def _inputs(case: str, tmp_path: Path) -> tuple[list[Path], StrategyParams, RiskLimits]:
    if case == "bundled, default strategies":
        return bundled_paths(), StrategyParams(), RiskLimits()
    if case == "bundled, demo strategies, limits never reached":
        return bundled_paths(), demo_strategy(), UNREACHED
    return write_candles(tmp_path, minutes=3000, seed=42, gap_every=29), demo_strategy(), TIGHT


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("fast", [False, True], ids=["step", "fast"])
@pytest.mark.parametrize("case", list(PINS))
def test_a_replay_writes_the_pinned_trades_and_equity(
    case: str, fast: bool, tmp_path: Path
) -> None:
    """The same fills, the same files, byte for byte, in step and in fast mode."""
    paths, strategy, limits = _inputs(case, tmp_path)
    base = ReplaySetup(symbols=("BTCTRY", "ETHTRY"), strategy=strategy, limits=limits)
    the_plan = plan(load(paths), base, start=None, end=None, settings={})
    result = the_plan.replay(fast=fast).run()
    document = outputs.summary(the_plan, result, {})

    fingerprint, trades, equity, fills, final, undecided = PINS[case]
    assert document["fingerprint"] == fingerprint
    assert _sha256(outputs.trades_csv(result)) == trades
    assert _sha256(outputs.equity_csv(result)) == equity
    assert (len(result.fills), document["final_equity"]) == (fills, final)
    # The step run decides every minute; the fast one must really have skipped some.
    assert result.undecided == (undecided if fast else 0)
