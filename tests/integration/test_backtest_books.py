"""The backtest's books reconcile exactly, its outputs are deterministic, and it cannot peek.

Cash conservation at every row of the equity series: start + realized - fees - tax = cash +
cost of holdings (the ledger books fees and tax apart from the cost basis). And the books must
equal the emulator's account - the replay's exchange - at the end, to the last digit.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from candle_files import write_candles
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from btcbot.backtest.candles import candle_paths, load
from btcbot.backtest.engine import Replay, ReplaySetup
from btcbot.backtest.plan import plan
from btcbot.domain.trading import RiskLimits
from btcbot.sim.exchange import SimConfig
from btcbot.wiring.demo import demo_strategy

START = Decimal(100_000)


def _replay(data: Path, *, participation: str = "0.25") -> Replay:
    base = ReplaySetup(
        symbols=("BTCTRY", "ETHTRY"),
        strategy=demo_strategy(),
        limits=RiskLimits(),
        sim=SimConfig(participation=Decimal(participation)),
    )
    the_plan = plan(load(candle_paths(data)), base, start=None, end=None, settings={})
    return the_plan.replay()


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    gap_every=st.sampled_from([0, 7, 29]),
    participation=st.sampled_from(["0.25", "0.002"]),
)
def test_cash_and_holdings_reconcile_at_every_row(
    tmp_path_factory: object, seed: int, gap_every: int, participation: str
) -> None:
    """Cash and cost basis add up at every row, and the books equal the account at the end.

    start + realized - fees - tax == cash + cost basis of holdings.
    """
    out = tmp_path_factory.mktemp("candles")  # type: ignore[attr-defined]
    write_candles(out, minutes=400, seed=seed, gap_every=gap_every)
    replay = _replay(out, participation=participation)
    result = replay.run()
    assert result.rows
    for row in result.rows:
        v = row.valuation
        cost = sum((c for _, _, c in row.holdings), Decimal(0))
        assert START + v.realized_pnl - v.fees - v.tax == v.cash + cost, row.at
        assert v.equity == v.cash + v.market_value
    final = result.final
    assert final is not None
    account = replay.sim.account

    def held(asset: str) -> Decimal:
        return account.free.get(asset, Decimal(0)) + account.locked.get(asset, Decimal(0))

    assert held("TRY") == final.cash
    ledger = replay.ledger
    assert ledger is not None
    for position in ledger.positions("TRY"):
        assert held(position.symbol.removesuffix("TRY")) == position.quantity


def test_a_streamed_equity_series_is_the_kept_one_byte_for_byte(tmp_path: Path) -> None:
    """``--out`` writes the rows as the replay makes them: the file equals ``equity_csv``.

    The summary's max drawdown is a running maximum over the same rows, kept or not.
    """
    from btcbot.backtest import outputs  # noqa: PLC0415 - the writer under test

    data = tmp_path / "candles"
    write_candles(data, minutes=600, seed=41, gap_every=13)
    kept = _replay(data).run()
    streamed_to = tmp_path / "equity.csv"
    with outputs.EquityFile(streamed_to, ("BTCTRY", "ETHTRY")) as rows:
        streamed = _replay(data).run(on_row=rows)
    assert kept.rows
    assert streamed.rows == []
    assert streamed_to.read_bytes() == outputs.equity_csv(kept).encode("utf-8")
    deepest = max(r.valuation.drawdown_pct for r in kept.rows)
    assert deepest > 0
    assert kept.max_drawdown_pct == streamed.max_drawdown_pct == deepest
