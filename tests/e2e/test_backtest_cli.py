"""``btcbot backtest`` as the operator runs it: outputs, determinism, and every bad input.

Bad input gets one line on stderr naming the file, row or setting, exit 2, no traceback, and
``--out`` is not created.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from candle_files import write_candles
from small_disk import fill, small_disk

BTCBOT = Path(sys.executable).with_name("btcbot.exe" if os.name == "nt" else "btcbot")
MINUTES = 240


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "BTCTURK_", "RISK_"))}
    return subprocess.run(
        [str(BTCBOT), "backtest", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seeded pairs with a missing minute every 31."""
    out = tmp_path_factory.mktemp("candles")
    write_candles(out, minutes=MINUTES, seed=7, gap_every=31)
    return out


def test_outputs_are_complete_and_byte_identical_across_runs(data: Path, tmp_path: Path) -> None:
    """Two runs with the same inputs write the same bytes; summary.json has the promised keys."""
    args: tuple[str, ...] = ("--symbols", "BTCTRY,ETHTRY", "--set", "STRATEGY_TREND_FAST_WINDOW=3")
    args = (*args, "--set", "STRATEGY_TREND_SLOW_WINDOW=12")
    first = _run("--data", data, "--out", tmp_path / "a", *args)
    second = _run("--data", data, "--out", tmp_path / "b", *args)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    for name in ("summary.json", "trades.csv", "equity.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    summary = json.loads((tmp_path / "a" / "summary.json").read_text("utf-8"))
    for key in ("fingerprint", "input_sha256", "counts", "final_equity", "realized_pnl"):
        assert key in summary
    for key in ("unrealized_pnl", "fees", "tax", "max_drawdown_pct", "settings"):
        assert key in summary
    assert summary["counts"]["fills"] > 0
    assert summary["counts"]["candles_filled"]["BTCTRY"] > 0  # the gaps were filled and counted
    trades = (tmp_path / "a" / "trades.csv").read_text("utf-8").splitlines()
    assert len(trades) == summary["counts"]["fills"] + 1
    equity = (tmp_path / "a" / "equity.csv").read_text("utf-8").splitlines()
    assert len(equity) == summary["counts"]["cycles"] + 1
    printed = _run("--data", data, "--json", *args)
    assert printed.returncode == 0
    assert json.loads(printed.stdout) == summary
    assert "fingerprint" in first.stdout


def _copy_broken(data: Path, tmp: Path, edit: Callable[[list[str]], list[str]]) -> Path:
    out = tmp / "broken"
    out.mkdir()
    lines = (data / "BTCTRY.csv").read_text("utf-8").splitlines()
    kept = edit(lines)
    (out / "BTCTRY.csv").write_text("\n".join(kept) + "\n" if kept else "", "utf-8")
    return out


CASES: dict[str, tuple[Callable[[list[str]], list[str]], str]] = {
    "empty": (lambda _lines: [], "empty file"),
    "header only": (lambda lines: lines[:1], "no candles"),
    "bad header": (lambda lines: ["time,o,h,l,c,v", *lines[1:]], ":1: header"),
    "not a number": (
        lambda lines: [*lines[:5], lines[5].replace(",", ",x", 1), *lines[6:]],
        ":6: not a number",
    ),
    "not finite": (
        lambda lines: [
            *lines[:5],
            ",".join([lines[5].split(",")[0], "nan", *lines[5].split(",")[2:]]),
            *lines[6:],
        ],
        ":6: not a finite number",
    ),
    "duplicate": (lambda lines: [*lines[:6], lines[5], *lines[6:]], ":7: duplicate candle"),
    "unsorted": (
        lambda lines: [lines[0], lines[2], lines[1], *lines[3:]],
        ":3: ts",
    ),
    "inconsistent": (
        lambda lines: [
            *lines[:5],
            ",".join([*lines[5].split(",")[:2], "1", *lines[5].split(",")[3:]]),
            *lines[6:],
        ],
        ":6: high/low",
    ),
    # Past about 10^17 the emulator's 28-digit arithmetic gave up: an internal error, exit 1.
    "volume of 10^18": (
        lambda lines: [*lines[:5], ",".join([*lines[5].split(",")[:5], "1e18"]), *lines[6:]],
        ":6: a value of 10^15 or more",
    ),
    # The commonest slip: milliseconds are minutes too, in the year 58,000 ("internal error
    # ValueError: year 58696 is out of range").
    "ts in milliseconds": (
        lambda lines: [
            lines[0],
            *(f"{int(line.split(',')[0]) * 1000},{line.split(',', 1)[1]}" for line in lines[1:]),
        ],
        "is past the year 5000: ts must be Unix seconds",
    ),
    "price of 10^30": (
        lambda lines: [*lines[:5], f"{lines[5].split(',')[0]},1e30,2e30,1e30,1e30,1", *lines[6:]],
        ":6: a value of 10^15 or more",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_candle_file_is_one_line_exit_2_and_nothing_written(
    data: Path, tmp_path: Path, case: str
) -> None:
    """Each broken file: exit 2, one line naming the file (and row), no --out directory."""
    edit, expected = CASES[case]
    broken = _copy_broken(data, tmp_path, edit)
    done = _run("--data", broken, "--symbols", "BTCTRY", "--out", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "BTCTRY.csv" in lines[0]
    assert expected in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--symbols", "XRPTRY"), "no candle file for XRPTRY"),
        (("--from", "2030-01-01"), "no candles to trade"),
        (("--from", "01/02/2026"), "--from '01/02/2026'"),
        (("--set", "RISK_MAX_OPEN_ORDRS=2"), "RISK_MAX_OPEN_ORDRS is not a btcbot variable"),
        (("--set", "MAX_DRAWDOWN_PCT=5"), "did you mean RISK_MAX_DRAWDOWN_PCT?"),
        (("--check-lookahead", "--lookahead-sample", "-5"), "--lookahead-sample -5: N signal"),
        (("--set", "RISK_MAX_OPEN_ORDERS=many"), "RISK_MAX_OPEN_ORDERS"),
        (("--set", "STRATEGIES=nope"), "STRATEGIES"),
        (("--set", "STRATEGIES=no_such_pkg.mod:Strategy"), "no_such_pkg.mod:Strategy cannot be"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(
    data: Path, tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    """An unknown symbol or setting, a bad date or an empty range: exit 2, one line, no --out."""
    done = _run("--data", data, "--out", tmp_path / "out", *args)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert expected in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_file_and_gzip(data: Path, tmp_path: Path) -> None:
    """A missing path is refused; a gzipped file reads like the plain one, but not beside it."""
    missing = _run("--data", tmp_path / "nope.csv", "--json")
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    packed = tmp_path / "gz"
    packed.mkdir()
    raw = (data / "BTCTRY.csv").read_bytes()
    (packed / "BTCTRY.csv.gz").write_bytes(gzip.compress(raw, mtime=0))
    plain = _run("--data", data / "BTCTRY.csv", "--symbols", "BTCTRY", "--json")
    zipped = _run("--data", packed, "--symbols", "BTCTRY", "--json")
    assert plain.returncode == zipped.returncode == 0, zipped.stderr
    a, b = json.loads(plain.stdout), json.loads(zipped.stdout)
    assert a["fingerprint"] == b["fingerprint"]
    assert a["input_sha256"] == b["input_sha256"]
    # Both beside each other: which one is meant? (The last listed was taken without a word.)
    (packed / "BTCTRY.csv").write_bytes(raw)
    both = _run("--data", packed, "--json")
    assert both.returncode == 2, both.stderr
    assert "two candle files for BTCTRY (BTCTRY.csv, BTCTRY.csv.gz): keep one" in both.stderr


def test_an_existing_out_directory_is_never_overwritten(data: Path, tmp_path: Path) -> None:
    """Earlier results stay: a non-empty --out is refused before anything runs."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier results", "utf-8")
    done = _run("--data", data, "--out", out)
    assert done.returncode == 2
    assert "already exists" in done.stderr
    assert (out / "keep.txt").read_text("utf-8") == "earlier results"


def test_fast_writes_the_same_trades_and_equity(data: Path, tmp_path: Path) -> None:
    """``--fast`` on a run that halts early: the same trades.csv and equity.csv byte for byte.

    The same fingerprint too; only the signal counts and ``undecided_cycles`` differ.
    """
    args: tuple[str, ...] = ("--symbols", "BTCTRY,ETHTRY")
    args = (*args, "--set", "RISK_REDUCE_AT_DRAWDOWN_PCT=0.005")
    args = (*args, "--set", "RISK_MAX_DRAWDOWN_PCT=0.01")
    step = _run("--data", data, "--out", tmp_path / "step", *args)
    fast = _run("--data", data, "--out", tmp_path / "fast", "--fast", *args)
    assert step.returncode == fast.returncode == 0, fast.stderr
    for name in ("trades.csv", "equity.csv"):
        assert (tmp_path / "step" / name).read_bytes() == (tmp_path / "fast" / name).read_bytes()
    a, b = (
        json.loads((tmp_path / d / "summary.json").read_text("utf-8")) for d in ("step", "fast")
    )
    counted = ("signals", "risk_rejections", "undecided_cycles")
    assert a["counts"]["undecided_cycles"] == 0
    assert b["counts"]["undecided_cycles"] > MINUTES // 2, b["counts"]
    assert b["counts"]["risk_rejections"] < a["counts"]["risk_rejections"]
    for c in (a["counts"], b["counts"]):
        for key in counted:
            del c[key]
    assert a == b
    assert "not decided" in fast.stdout
    both = _run("--data", data, "--json", "--fast", "--check-lookahead", *args)
    assert both.returncode == 2
    refusal = "--fast leaves minutes undecided that --check-lookahead must see: drop one of them"
    assert both.stderr.strip().splitlines() == [f"btcbot: error: {refusal}"]


@pytest.mark.timeout(180)
def test_a_full_disk_under_out_is_one_line_naming_it_and_leaves_nothing(
    data: Path, tmp_path: Path
) -> None:
    """Exit 1 (a fault of the machine), ``--out`` named, no staging left; free it and it runs.

    The operating system's bare 'No space left on device', without a path, is what it said.
    """
    with small_disk(tmp_path / "disk", "1m") as disk:
        filler = fill(disk)
        os.truncate(filler, filler.stat().st_size - 8192)  # room to start, not to finish
        done = _run("--data", data, "--out", disk / "bt")
        assert done.returncode == 1, done.stderr
        expected = (
            f"btcbot: error: --out {disk / 'bt'}: cannot be written (No space left on device); "
            "nothing was kept: free space there or pass another --out"
        )
        assert done.stderr.strip().splitlines() == [expected]
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]
        filler.unlink()
        again = _run("--data", data, "--out", disk / "bt")
        assert again.returncode == 0, again.stderr
        assert sorted(p.name for p in (disk / "bt").iterdir()) == [
            "equity.csv", "summary.json", "trades.csv"
        ]  # fmt: skip
