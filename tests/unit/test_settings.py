"""The settings model: role profiles, parsing, one-line refusals, config hash."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from btcbot.domain.enums import ExchangeKind, Role
from btcbot.domain.errors import ConfigError
from btcbot.settings import Settings, load_settings

SECRET = base64.b64encode(b"canary-secret-value-0123456789").decode()
ROOT = Path("/") if Path("/").is_absolute() else Path.cwd().anchor


def _abs(name: str) -> str:
    return str(Path(ROOT, "srv", "btcbot", name).absolute())


MONITOR = {
    "APP_ROLE": "monitor",
    "STATE_DB_PATH": _abs("monitor.db"),
    "CONTROL_DIR": _abs("control"),
    "LIVE_TRADING": "false",
    "SAFE_MODE": "true",
    "KILL_SWITCH": "true",
}
LIVE_ARMED = {
    "APP_ROLE": "live",
    "STATE_DB_PATH": _abs("live.db"),
    "CONTROL_DIR": _abs("control"),
    "LIVE_TRADING": "true",
    "LIVE_TRADING_ACK": "I_UNDERSTAND",
    "SAFE_MODE": "false",
    "KILL_SWITCH": "false",
    "EXCHANGE": "btcturk",
    "BTCTURK_API_KEY": "public-key-1",
    "BTCTURK_API_SECRET": SECRET,
}


def _refusal(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(environ)
    return str(info.value)


def test_monitor_profile_loads_with_defaults() -> None:
    """A minimal MONITOR environment loads and gets the documented defaults."""
    s = load_settings(MONITOR)
    assert s.app_role is Role.MONITOR
    assert s.exchange is ExchangeKind.SIM
    assert s.metrics_bind == "127.0.0.1"
    assert s.btcturk_base_url is None
    assert s.in_process_sim
    assert s.rest_url == "http://127.0.0.1"
    assert s.log_level == "INFO"
    assert s.log_format == "json"
    assert not s.is_dry_run


def test_armed_live_profile_loads_and_keeps_the_secret_secret() -> None:
    """A fully consistent LIVE environment loads; the secret is a SecretStr that prints masked."""
    s = load_settings(LIVE_ARMED)
    assert s.live_trading
    assert s.btcturk_api_secret is not None
    assert s.btcturk_api_secret.get_secret_value() == SECRET
    assert SECRET not in repr(s)
    assert SECRET not in str(s.model_dump())


def test_live_without_live_trading_is_a_dry_run_on_the_emulator() -> None:
    """LIVE_TRADING=false under APP_ROLE=live needs neither credentials nor acknowledgement."""
    environ = dict(LIVE_ARMED, LIVE_TRADING="false", EXCHANGE="sim", SAFE_MODE="true")
    del environ["BTCTURK_API_KEY"], environ["BTCTURK_API_SECRET"], environ["LIVE_TRADING_ACK"]
    s = load_settings(environ)
    assert s.is_dry_run
    assert not s.has_credentials


def test_values_are_normalised() -> None:
    """Role, exchange, symbols and log level are case-insensitive and trimmed."""
    environ = dict(
        MONITOR,
        APP_ROLE=" MONITOR ",
        EXCHANGE="BtcTurk",
        SYMBOLS="btctry, ethTRY",
        LOG_LEVEL="debug",
        LOG_FORMAT="Console",
        BTCTURK_BASE_URL="https://api.btcturk.com/",
        LIVE_TRADING="FALSE",
    )
    s = load_settings(environ)
    assert s.app_role is Role.MONITOR
    assert s.exchange is ExchangeKind.BTCTURK
    assert s.symbols == ("BTCTRY", "ETHTRY")
    assert s.log_level == "DEBUG"
    assert s.log_format == "console"
    assert s.btcturk_base_url == "https://api.btcturk.com"


def test_empty_value_counts_as_unset() -> None:
    """An empty variable is the same as a missing one, so a required one is reported missing."""
    message = _refusal(dict(MONITOR, APP_ROLE="  "))
    assert message.startswith("APP_ROLE is required")


def test_http_is_allowed_only_for_loopback() -> None:
    """The emulator on 127.0.0.1 may be plain http; any other host must be https."""
    s = load_settings(dict(MONITOR, BTCTURK_BASE_URL="http://127.0.0.1:8080"))
    assert s.btcturk_base_url == "http://127.0.0.1:8080"
    assert "BTCTURK_GRAPH_URL" in _refusal(dict(MONITOR, BTCTURK_GRAPH_URL="http://example.com"))


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"LIVE_TRADING": "true"}, "LIVE_TRADING"),
        ({"SAFE_MODE": "false"}, "SAFE_MODE"),
        ({"KILL_SWITCH": "false"}, "KILL_SWITCH"),
        ({"LIVE_TRADING_ACK": "I_UNDERSTAND"}, "LIVE_TRADING_ACK"),
    ],
)
def test_monitor_profile_is_exact(change: dict[str, str], variable: str) -> None:
    """Any MONITOR flag other than the one safe value is refused, naming the flag."""
    message = _refusal(dict(MONITOR, **change))
    assert message.startswith(variable)
    assert "monitor" in message


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"EXCHANGE": "sim"}, "EXCHANGE"),
        ({"LIVE_TRADING_ACK": "yes"}, "LIVE_TRADING_ACK"),
        ({"SAFE_MODE": "true"}, "SAFE_MODE"),
        ({"KILL_SWITCH": "true"}, "KILL_SWITCH"),
    ],
)
def test_live_trading_needs_every_flag(change: dict[str, str], variable: str) -> None:
    """LIVE_TRADING=true with one inconsistent flag is refused, naming that flag."""
    message = _refusal(dict(LIVE_ARMED, **change))
    assert message.startswith(variable)
    assert "LIVE_TRADING=true" in message


def test_live_trading_needs_credentials() -> None:
    """LIVE_TRADING=true without any credentials names the API key."""
    environ = dict(LIVE_ARMED)
    del environ["BTCTURK_API_KEY"], environ["BTCTURK_API_SECRET"]
    assert _refusal(environ).startswith("BTCTURK_API_KEY")


@pytest.mark.parametrize("bad", ["not base64!", "abc", "====", "YWJj\u00e7"])
def test_non_base64_secret_is_refused_without_echoing_it(bad: str) -> None:
    """A secret that is not base64 is refused and its value never appears in the message."""
    message = _refusal(dict(LIVE_ARMED, BTCTURK_API_SECRET=bad))
    assert message.startswith("BTCTURK_API_SECRET")
    assert bad not in message


def test_half_of_the_credentials_is_refused() -> None:
    """A key without a secret names the secret as what is missing (and vice versa)."""
    environ = dict(MONITOR, BTCTURK_API_KEY="k")
    assert _refusal(environ).startswith("BTCTURK_API_SECRET")
    environ = dict(MONITOR, BTCTURK_API_SECRET=SECRET)
    assert _refusal(environ).startswith("BTCTURK_API_KEY")


def test_refusal_is_one_line_and_counts_further_problems() -> None:
    """Several problems give one line about the first, noting how many more there are."""
    message = _refusal({"APP_ROLE": "x", "METRICS_PORT": "no"})
    assert "\n" not in message
    assert message.startswith("APP_ROLE")
    assert "more problem" in message


def test_config_hash_ignores_secrets_and_tracks_public_fields() -> None:
    """Rotating the secret keeps the hash; changing a public field changes it."""
    base = load_settings(LIVE_ARMED).config_hash
    other_secret = base64.b64encode(b"another-secret").decode()
    assert load_settings(dict(LIVE_ARMED, BTCTURK_API_SECRET=other_secret)).config_hash == base
    assert load_settings(dict(LIVE_ARMED, CYCLE_SECONDS="30")).config_hash != base
    assert len(base) == 64


def test_settings_are_frozen() -> None:
    """A loaded configuration cannot be changed in place."""
    s = load_settings(MONITOR)
    with pytest.raises(ValueError, match="frozen"):
        s.safe_mode = False  # type: ignore[misc]


def test_a_dotenv_file_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A .env in the working directory has no effect; only the environment counts."""
    (tmp_path / ".env").write_text("APP_ROLE=live\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name, value in MONITOR.items():
        monkeypatch.setenv(name, value)
    assert load_settings().app_role is Role.MONITOR
    monkeypatch.delenv("APP_ROLE")
    with pytest.raises(ConfigError, match="APP_ROLE is required"):
        load_settings()


def test_unknown_variables_are_ignored() -> None:
    """Variables btcbot does not read (PATH, HOME...) do not disturb loading."""
    s = load_settings(dict(MONITOR, PATH="/bin", UNRELATED="1"))
    assert isinstance(s, Settings)


_PAIR = st.from_regex(r"[A-Za-z0-9]{1,17}", fullmatch=True).map(lambda base: f"{base}try")


@given(st.lists(_PAIR, min_size=1, max_size=6, unique_by=str.upper), st.sampled_from(["", " "]))
def test_any_valid_symbol_list_normalises_to_upper_case(pairs: list[str], pad: str) -> None:
    """Valid pair names in any case, with padding around the commas, load upper-cased in order."""
    s = load_settings(dict(MONITOR, SYMBOLS=",".join(f"{pad}{p}{pad}" for p in pairs)))
    assert s.symbols == tuple(p.upper() for p in pairs)


@given(st.text(min_size=1, max_size=40).filter(lambda t: t.strip() != ""))
def test_a_rejected_secret_never_shapes_the_message(secret: str) -> None:
    """Whatever invalid secret is given, the refusal is the same fixed line (no echo possible)."""
    try:
        base64.b64decode(secret.strip(), validate=True)
    except ValueError:
        pass
    else:
        return  # valid base64 is not a refusal case
    message = _refusal(dict(LIVE_ARMED, BTCTURK_API_SECRET=secret))
    assert message == (
        "BTCTURK_API_SECRET must be the base64 private key BtcTurk issued "
        "(it is not valid base64; the value is not shown)"
    )


@pytest.mark.parametrize(
    ("exchange", "live_trading", "mode"),
    [("sim", "false", "sim"), ("btcturk", "false", "paper"), ("btcturk", "true", "live")],
)
def test_the_mode_follows_exchange_and_live_trading(
    exchange: str, live_trading: str, mode: str
) -> None:
    """Sim is EXCHANGE=sim; paper is btcturk without LIVE_TRADING; live is btcturk with it."""
    environ = dict(LIVE_ARMED, EXCHANGE=exchange, LIVE_TRADING=live_trading)
    if live_trading == "false":
        del environ["LIVE_TRADING_ACK"]
    assert load_settings(environ).mode.value == mode


def test_paper_and_live_default_to_btcturk_hosts() -> None:
    """With EXCHANGE=btcturk and no URL the client talks to BtcTurk's own hosts."""
    s = load_settings(LIVE_ARMED)
    assert (s.rest_url, s.graph_url) == (
        "https://api.btcturk.com",
        "https://graph-api.btcturk.com",
    )


@pytest.mark.parametrize("variable", ["BTCTURK_BASE_URL", "BTCTURK_GRAPH_URL"])
def test_sim_with_a_remote_url_is_refused(variable: str) -> None:
    """EXCHANGE=sim names the emulator, which only listens on loopback: a remote URL is a typo."""
    message = _refusal(dict(MONITOR, **{variable: "https://api.btcturk.com"}))
    assert message.startswith(f"{variable} must be a loopback URL when EXCHANGE=sim")
    assert "\n" not in message


def test_sim_with_a_loopback_url_uses_its_graph_prefix() -> None:
    """A loopback ``sim serve`` serves candles under /graph unless BTCTURK_GRAPH_URL says."""
    s = load_settings(dict(MONITOR, BTCTURK_BASE_URL="http://127.0.0.1:8080"))
    assert not s.in_process_sim
    assert s.graph_url == "http://127.0.0.1:8080/graph"


@pytest.mark.parametrize("symbols", ["BTCUSDT", "BTCTRY,BTCUSDT", "ETHBTC", "TRY"])
def test_pairs_not_quoted_in_try_are_refused(symbols: str) -> None:
    """Every limit is in TRY: a USDT- or BTC-quoted pair would bypass them (exit 2, one line)."""
    message = _refusal(dict(MONITOR, SYMBOLS=symbols))
    assert message.startswith("SYMBOLS may list only TRY-quoted pairs")
    assert "\n" not in message


def test_try_quoted_pairs_load() -> None:
    """BTCTRY, ETHTRY and USDTTRY are all quoted in TRY."""
    assert load_settings(dict(MONITOR, SYMBOLS="BTCTRY,ETHTRY,USDTTRY")).symbols == (
        "BTCTRY",
        "ETHTRY",
        "USDTTRY",
    )
