"""Each variable's parser: what it accepts, and the one line (and variable) it refuses with.

``loading`` passes a ``SettingValueError``'s message to the operator unchanged, and names the
variable from it; the end-to-end bad-config tests see these through a whole process, one case
each. Mutation testing of settings/parsing.py found the parsers' own edges unheld below that:
a URL with another scheme but a host, a holding of zero, a duplicate pair, the variable an
error names. Here every parser is called directly, on both sides of each rule.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from btcbot.settings import parsing
from btcbot.settings.parsing import SettingValueError


def _refusal(parse: Callable[[], object]) -> tuple[str, str]:
    with pytest.raises(SettingValueError) as info:
        parse()
    assert str(info.value) == info.value.message
    return info.value.variable, info.value.message


URL = "BTCTURK_GRAPH_URL"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://graph.btcturk.com", "https://graph.btcturk.com"),
        (" https://api.btcturk.com// ", "https://api.btcturk.com"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_a_url_is_trimmed_of_spaces_and_trailing_slashes(value: str, expected: str) -> None:
    """Any host over https; plain http only on a loopback host (the emulator)."""
    assert parsing.check_url(URL, value) == expected


@pytest.mark.parametrize(
    "value", ["ftp://graph.example", "https://", "https:///v1", "graph.btcturk.com", ""]
)
def test_a_url_without_an_http_scheme_or_a_host_is_refused(value: str) -> None:
    """Another scheme with a host, or http(s) without one, is not a URL we can call."""
    assert _refusal(lambda: parsing.check_url(URL, value)) == (
        URL,
        f"{URL} must be an http(s) URL (got {value.rstrip('/')!r})",
    )


def test_plain_http_to_a_host_off_this_machine_is_refused() -> None:
    """Signed requests must not cross a network in clear text."""
    assert _refusal(lambda: parsing.check_url(URL, "http://example.com")) == (
        URL,
        (
            f"{URL} must use https unless the host is loopback (got 'http://example.com'): "
            "signed requests must not cross a network in clear text"
        ),
    )


HOLDINGS = "HANDOVER_HOLDINGS"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ()),
        ("  ", ()),
        (" btc:0.05 , eth : 1 ", (("BTC", Decimal("0.05")), ("ETH", Decimal(1)))),
        ("USDT:0.00000001", (("USDT", Decimal("0.00000001")),)),
    ],
)
def test_holdings_are_assets_and_positive_amounts(
    value: str, expected: tuple[tuple[str, Decimal], ...]
) -> None:
    """Upper-cased assets, exact decimals, in the order given."""
    assert parsing.parse_holdings(HOLDINGS, value) == expected


@pytest.mark.parametrize(
    "entry", ["BTC:0", "BTC:-1", "BTC", "BTC:", "BTC:abc", "BTC:inf", "B:1", "BTC:1:2", "BTC;1"]
)
def test_a_holding_that_is_not_a_positive_amount_of_an_asset_is_refused(entry: str) -> None:
    """Zero, negative, missing or non-numeric amounts and malformed assets: the entry is named."""
    assert _refusal(lambda: parsing.parse_holdings(HOLDINGS, f"ETH:1,{entry}")) == (
        HOLDINGS,
        (
            f"{HOLDINGS} must be ASSET:AMOUNT pairs like BTC:0.05,ETH:1 with amounts > 0 "
            f"(bad entry {entry!r})"
        ),
    )


@pytest.mark.parametrize(
    ("value", "why"),
    [("TRY:5", "TRY is the bot's cash already"), ("BTC:1,btc:2", "listed twice")],
)
def test_the_quote_or_an_asset_twice_is_refused(value: str, why: str) -> None:
    """TRY is the bot's working capital; an asset listed twice is a typo, not a sum."""
    asset = value.rsplit(",", maxsplit=1)[-1].split(":", maxsplit=1)[0].upper()
    assert _refusal(lambda: parsing.parse_holdings(HOLDINGS, value)) == (
        HOLDINGS,
        f"{HOLDINGS}: {asset} {why}; remove the entry",
    )


def test_symbols_are_upper_cased_and_trimmed() -> None:
    """Pair names in any case, spaces around them ignored."""
    assert parsing.parse_symbols(" btctry , EthTry ") == ("BTCTRY", "ETHTRY")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "BTCTRY,BTC-TRY",
            (
                "SYMBOLS must be comma-separated pair names like BTCTRY,ETHTRY "
                "(bad entry 'BTC-TRY' in 'BTCTRY,BTC-TRY')"
            ),
        ),
        (
            "BTCTRY,",
            (
                "SYMBOLS must be comma-separated pair names like BTCTRY,ETHTRY "
                "(bad entry '' in 'BTCTRY,')"
            ),
        ),
        ("BTCTRY,btctry", "SYMBOLS lists a pair twice ('BTCTRY,btctry')"),
        (
            "BTCTRY,BTCUSDT",
            (
                "SYMBOLS may list only TRY-quoted pairs (got BTCUSDT): every risk limit is in "
                "TRY and pairs quoted in another currency are not valued in TRY; remove it"
            ),
        ),
        (
            "TRY",
            (
                "SYMBOLS may list only TRY-quoted pairs (got TRY): every risk limit is in TRY and "
                "pairs quoted in another currency are not valued in TRY; remove it"
            ),
        ),
    ],
    ids=["a bad name", "an empty entry", "a pair twice", "a USDT pair", "the quote alone"],
)
def test_a_bad_symbol_list_is_refused_naming_the_entry(value: str, message: str) -> None:
    """The first bad entry is named; duplicates and foreign quotes each have their reason."""
    assert _refusal(lambda: parsing.parse_symbols(value)) == ("SYMBOLS", message)


@pytest.mark.parametrize(("value", "expected"), [("true", True), (" FALSE ", False), (True, True)])
def test_a_flag_is_true_or_false_in_any_case(value: object, expected: bool) -> None:
    """A bool, or its name in any case."""
    assert parsing.parse_bool("SAFE_MODE", value) is expected


@pytest.mark.parametrize("value", ["yes", "1", "", "on"])
def test_a_flag_spelled_otherwise_is_refused(value: str) -> None:
    """A safety flag spelled 'yes' or '1' is a typo the bot does not guess at."""
    assert _refusal(lambda: parsing.parse_bool("KILL_SWITCH", value)) == (
        "KILL_SWITCH",
        f"KILL_SWITCH must be 'true' or 'false' (got {value!r})",
    )


def test_a_relative_path_is_refused() -> None:
    """It would resolve against whatever directory the session started in."""
    assert _refusal(lambda: parsing.require_absolute("CONTROL_DIR", " control ")) == (
        "CONTROL_DIR",
        (
            "CONTROL_DIR must be an absolute path to the directory both roles share "
            "(got ' control '): a relative path depends on the current directory"
        ),
    )


def test_an_absolute_path_is_kept_trimmed(tmp_path: Path) -> None:
    """Spaces around it are not part of the path."""
    assert parsing.require_absolute("STATE_DB_PATH", f" {tmp_path} ") == tmp_path


def test_an_api_key_is_trimmed_and_may_not_hold_whitespace() -> None:
    """Spaces around the key are a paste's; one inside it is a broken key."""
    assert parsing.check_api_key(SecretStr(" key-1 ")) == "key-1"
    assert parsing.check_api_key(None) is None
    assert _refusal(lambda: parsing.check_api_key("key 1")) == (
        "BTCTURK_API_KEY",
        "BTCTURK_API_KEY must not contain whitespace",
    )


@pytest.mark.parametrize("value", ["not base64!", "", "===="])
def test_an_api_secret_that_is_not_base64_is_refused_without_its_value(value: str) -> None:
    """The message says what is wrong and never shows the value."""
    variable, message = _refusal(lambda: parsing.check_api_secret(SecretStr(value)))
    assert variable == "BTCTURK_API_SECRET"
    assert message == (
        "BTCTURK_API_SECRET must be the base64 private key BtcTurk issued "
        "(it is not valid base64; the value is not shown)"
    )


def test_an_api_secret_in_base64_is_kept_trimmed() -> None:
    """A valid secret comes back as given, less the spaces of a paste."""
    assert parsing.check_api_secret(SecretStr(" c2VjcmV0 ")) == "c2VjcmV0"
    assert parsing.check_api_secret(None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Trend, MEAN_REVERSION", ("trend", "mean_reversion")),
        (" None ", ()),
        ("trend,my_pkg.sub:MyStrategy", ("trend", "my_pkg.sub:MyStrategy")),
    ],
)
def test_strategies_are_built_in_names_or_import_paths(
    value: str, expected: tuple[str, ...]
) -> None:
    """Built-in names in any case; an import path keeps its case; 'none' observes only."""
    assert parsing.parse_strategies(value) == expected


@pytest.mark.parametrize("value", ["trend,trend", "momentum", "my_pkg.sub", "trend,"])
def test_an_unknown_or_repeated_strategy_is_refused(value: str) -> None:
    """One line listing what may be given."""
    assert _refusal(lambda: parsing.parse_strategies(value)) == (
        "STRATEGIES",
        (
            "STRATEGIES must list each of trend, mean_reversion or a pkg.module:Class at most "
            f"once, comma-separated, or be 'none' (got {value!r})"
        ),
    )


def test_an_interface_is_an_ip_address_not_a_name() -> None:
    """A name may resolve to another interface than the one meant."""
    assert parsing.check_ip("METRICS_HOST", " ::1 ") == "::1"
    assert _refusal(lambda: parsing.check_ip("METRICS_HOST", "localhost")) == (
        "METRICS_HOST",
        "METRICS_HOST must be an IP address such as 127.0.0.1 (got 'localhost')",
    )


def test_a_log_level_is_a_standard_name_in_any_case() -> None:
    """Upper-cased; anything else lists the names."""
    assert parsing.parse_log_level(" debug ") == "DEBUG"
    assert _refusal(lambda: parsing.parse_log_level("verbose")) == (
        "LOG_LEVEL",
        "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (got 'verbose')",
    )
