"""What `btcbot run` takes from its settings: every knob lands in its own place.

The backtest, the sweep and the LIVE loop all build their strategies through
``strategy_params``, so a knob landing in the wrong field would pass every parity test.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from live_environ import dry_run_environ

from btcbot.domain.errors import ConfigError
from btcbot.services.live import custom_params, options_from, strategy_params
from btcbot.settings import Settings, load_settings
from btcbot.strategy.params import MeanReversionParams, TrendParams

PLUGIN = "my_pkg.signals:Breakout"


def _settings(tmp_path: Path, **knobs: str) -> Settings:
    return load_settings(dry_run_environ(tmp_path, **knobs))


def test_each_strategy_knob_reaches_its_own_parameter(tmp_path: Path) -> None:
    """Distinct values everywhere, so a knob read into another field cannot pass."""
    params_file = tmp_path / "params.json"
    params_file.write_text('{"my_pkg.signals:Breakout": {"lookback": 30}}', encoding="utf-8")
    settings = _settings(
        tmp_path,
        STRATEGIES=f"mean_reversion,{PLUGIN}",
        STRATEGY_PARAMS_FILE=str(params_file),
        STRATEGY_TREND_FAST_WINDOW="3",
        STRATEGY_TREND_SLOW_WINDOW="17",
        STRATEGY_TREND_ORDER_NOTIONAL_TRY="1234",
        STRATEGY_MEANREV_WINDOW="9",
        STRATEGY_MEANREV_ENTRY_Z="1.7",
        STRATEGY_MEANREV_TAKE_PROFIT_PCT="2.3",
        STRATEGY_MEANREV_STOP_LOSS_PCT="0.9",
        STRATEGY_MEANREV_ORDER_NOTIONAL_TRY="4321",
    )
    params = strategy_params(settings)
    assert params.enabled == ("mean_reversion", PLUGIN)
    assert params.trend == TrendParams(
        fast_window=3, slow_window=17, order_notional_try=Decimal(1234)
    )
    assert params.mean_reversion == MeanReversionParams(
        window=9,
        entry_z=Decimal("1.7"),
        take_profit_pct=Decimal("2.3"),
        stop_loss_pct=Decimal("0.9"),
        order_notional_try=Decimal(4321),
    )
    assert params.custom == {PLUGIN: {"lookback": 30}}


def test_the_live_options_come_from_the_settings_and_the_command_line(tmp_path: Path) -> None:
    """Symbols, pacing, mode, limits, the clock limit, the handover and the exporter."""
    settings = _settings(
        tmp_path,
        SYMBOLS="ETHTRY,BTCTRY",
        CYCLE_SECONDS="45",
        KILL_SWITCH="true",
        RISK_MAX_DAILY_LOSS_TRY="777",
        CLOCK_UNCERTAINTY_LIMIT_SECONDS="2.5",
        HANDOVER_HOLDINGS="BTC:0.5",
        METRICS_PORT="9200",
        METRICS_BIND="127.0.0.2",
        STRATEGY_TREND_FAST_WINDOW="3",
    )
    opts = options_from(settings, instance_id="inst-1")
    assert (opts.symbols, opts.cycle_seconds, opts.mode) == (("ETHTRY", "BTCTRY"), 45.0, "sim")
    assert (opts.control_dir, opts.instance_id) == (tmp_path / "control", "inst-1")
    assert opts.kill_switch_setting is True
    assert opts.limits == settings.risk_limits()
    assert opts.limits.max_daily_loss_try == Decimal(777)
    assert opts.strategy == strategy_params(settings)
    assert opts.strategy.trend.fast_window == 3
    assert opts.clock_limit == timedelta(seconds=2.5)
    assert opts.handover == (("BTC", Decimal("0.5")),)
    assert (opts.metrics_bind, opts.metrics_port) == ("127.0.0.2", 9200)
    assert options_from(settings, instance_id="i", cycle_seconds=0.5).cycle_seconds == 0.5


def test_no_params_file_means_no_custom_parameters() -> None:
    """Without STRATEGY_PARAMS_FILE every plugin runs with its own defaults."""
    assert custom_params(None, (PLUGIN,)) == {}


@pytest.mark.parametrize("name", ["params.toml", "params.TOML"])
def test_a_toml_params_file_is_read_as_toml(tmp_path: Path, name: str) -> None:
    """The suffix decides the format, whatever its case (Windows keeps names as typed)."""
    path = tmp_path / name
    path.write_text('["my_pkg.signals:Breakout"]\nlookback = 30\n', encoding="utf-8")
    assert custom_params(path, (PLUGIN,)) == {PLUGIN: {"lookback": 30}}


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("p.json", "{not json", r"p\.json: cannot be read as JSON"),
        ("p.toml", "= nope", r"p\.toml: cannot be read as TOML"),
        ("p.json", "[1, 2]", "must map each pkg.module:Class to a table of parameters"),
        ("p.json", '{"my_pkg.signals:Breakout": 5}', "must map each pkg.module:Class"),
        ("p.json", '{"other.mod:Thing": {}}', "other.mod:Thing is not in STRATEGIES; add it"),
    ],
)
def test_a_params_file_that_cannot_be_used_is_one_line_naming_it(
    tmp_path: Path, name: str, text: str, words: str
) -> None:
    """A typo in an entry would silently run the strategy with its defaults: refused."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        custom_params(path, (PLUGIN,))


def test_a_missing_params_file_is_refused(tmp_path: Path) -> None:
    """Named, with the format it was to be read as."""
    with pytest.raises(ConfigError, match=r"absent\.json: cannot be read as JSON"):
        custom_params(tmp_path / "absent.json", (PLUGIN,))
