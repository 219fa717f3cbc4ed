"""``btcbot report`` as the operator runs it, and the page in a real headless Chromium.

Chromium and chromedriver come from the distribution's packages (``.ci/run`` installs them;
nothing is downloaded at run time). The page must draw its charts (SVG elements with a size) and
make no network request at all - every resource it could load would show in the browser's
resource timing, and the browser runs with every host resolved to nowhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from h5_support import Sandbox
from live_support import init_sandbox
from small_disk import fill, small_disk

from btcbot.sim.datasets import bundled_paths

BTCBOT = Path(sys.executable).with_name("btcbot.exe" if os.name == "nt" else "btcbot")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
DOCS_SHOT = Path(__file__).resolve().parents[2] / "docs" / "report-backtest.png"


def _btcbot(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "STATE_", "BTCTURK_"))}
    return subprocess.run(
        [str(BTCBOT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=base | (env or {}),
    )


@pytest.fixture(scope="module")
def backtest_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a backtest over the bundled candles."""
    root = tmp_path_factory.mktemp("report")
    done = _btcbot("backtest", "--data", bundled_paths()[0].parent, "--out", root / "bt",
                   "--symbols", "BTCTRY,ETHTRY")  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = root / "backtest.html"
    made = _btcbot("report", "--backtest", root / "bt", "--out", page, "--csv", root / "csv")
    assert made.returncode == 0, made.stderr
    return page


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the LIVE database a `btcbot demo` left behind."""
    root = tmp_path_factory.mktemp("demo")
    done = _btcbot("demo", "--cycles", "120", "--workspace", root / "ws")
    assert done.returncode == 0, done.stdout + done.stderr
    page = root / "demo.html"
    made = _btcbot(
        "report", "--db", root / "ws" / "live" / "state.db", "--out", page, env={"EXCHANGE": "sim"}
    )
    assert made.returncode == 0, made.stderr
    return page


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium through chromedriver, offline."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(
            "the browser test needs Chromium and ChromeDriver from the distribution's packages "
            "(Debian: apt-get install chromium chromium-driver; .ci/run installs them)"
        )
    from selenium import webdriver  # noqa: PLC0415 - only this test drives a browser
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1200,2400", "--host-resolver-rules=MAP * ~NOTFOUND",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


SIZES = """
const svgs = Array.from(document.querySelectorAll('svg'));
return {
  svgs: svgs.map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height,
        s.querySelectorAll('path, use, rect, line, polyline').length]; }),
  resources: performance.getEntriesByType('resource').map(e => e.name),
  title: document.title,
  text: document.body.innerText.slice(0, 400),
};
"""


def _render(driver: object, page: Path, shot: Path) -> dict[str, object]:
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    seen: dict[str, object] = driver.execute_script(SIZES)  # type: ignore[attr-defined]
    driver.save_screenshot(str(shot))  # type: ignore[attr-defined]
    return seen


def _assert_drawn(seen: dict[str, object], at_least: int) -> None:
    svgs = seen["svgs"]
    assert isinstance(svgs, list)
    assert len(svgs) >= at_least
    for width, height, shapes in svgs:
        assert width > 100
        assert height > 50
        assert shapes > 10  # axes, ticks and the data: an empty chart has far fewer
    assert seen["resources"] == []  # nothing loaded: no script, style, font or image


def test_the_backtest_report_draws_its_charts_offline(
    backtest_report: Path, browser: object, tmp_path: Path
) -> None:
    """Equity, drawdown, two price charts and the trade PnL, drawn, with no request made."""
    seen = _render(browser, backtest_report, tmp_path / "backtest.png")
    _assert_drawn(seen, at_least=5)
    assert "backtest" in str(seen["title"])
    assert (tmp_path / "backtest.png").stat().st_size > 20_000
    if os.environ.get("BTCBOT_UPDATE_DOCS_SCREENSHOT"):
        shutil.copyfile(tmp_path / "backtest.png", DOCS_SHOT)


def test_the_demo_database_report_draws_its_charts_offline(
    demo_report: Path, browser: object, tmp_path: Path
) -> None:
    """The LIVE database's report: the same page, drawn, mode sim, no request made."""
    seen = _render(browser, demo_report, tmp_path / "demo.png")
    _assert_drawn(seen, at_least=3)
    assert "sim" in str(seen["text"])


def test_bad_inputs_are_one_line_exit_2_and_leave_no_file(tmp_path: Path) -> None:
    """An empty database, the wrong role's, a backtest without files or summary: exit 2."""
    box: Sandbox = init_sandbox(tmp_path / "box")
    out = tmp_path / "r.html"
    not_summary = tmp_path / "json-but-no-summary"
    not_summary.mkdir()
    (not_summary / "summary.json").write_text("[1]", "utf-8")  # was an internal error, exit 1
    cases = {
        "empty database": (["--db", str(box.live_db)], "no valuations"),
        "wrong role": (["--db", str(box.monitor_db)], "MONITOR role's database"),
        "missing files": (["--backtest", str(tmp_path)], "summary.json: missing"),
        "not a summary": (["--backtest", str(not_summary)], "not a backtest's summary.json"),
    }
    for name, (args, expected) in cases.items():
        done = _btcbot("report", *args, "--out", out)
        assert done.returncode == 2, (name, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, (name, done.stderr)
        assert expected in done.stderr, (name, done.stderr)
        assert not out.exists(), name


def test_a_range_without_data_and_an_unwritable_out(backtest_report: Path, tmp_path: Path) -> None:
    """One line each: exit 2 for bad input, 1 for an unwritable target.

    The unwritable target leaves no partial file beside it.
    """
    backtest = backtest_report.parent / "bt"
    empty = _btcbot(
        "report", "--backtest", backtest, "--from", "2030-01-01", "--out", tmp_path / "x.html"
    )
    assert empty.returncode == 2
    assert "no valuations" in empty.stderr
    backwards = _btcbot(
        "report", "--backtest", backtest, "--from", "2026-02-02", "--to", "2026-02-01",
        "--out", tmp_path / "x.html",
    )  # fmt: skip
    assert backwards.returncode == 2
    assert "--from 2026-02-02 is after --to 2026-02-01" in backwards.stderr
    to_the_end = _btcbot(
        "report", "--backtest", backtest, "--to", "9999-12-31", "--out", tmp_path / "end.html"
    )  # was "internal error OverflowError: date value out of range"
    assert to_the_end.returncode == 0, to_the_end.stderr
    (tmp_path / "end.html").unlink()
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a directory should be", "utf-8")
    done = _btcbot("report", "--backtest", backtest, "--out", blocked / "r.html")
    assert done.returncode == 1, done.stderr  # was 2: the other research commands said 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert "cannot be written" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked"]


def test_a_full_disk_is_exit_1_naming_the_file(backtest_report: Path, tmp_path: Path) -> None:
    """As ``backtest``, ``sweep`` and ``data fetch`` say it (it was exit 2); no partial file."""
    backtest = backtest_report.parent / "bt"
    with small_disk(tmp_path / "disk", "1m") as disk:
        fill(disk)
        page = disk / "r.html"
        done = _btcbot("report", "--backtest", backtest, "--out", page)
        assert done.returncode == 1, done.stderr
        expected = (
            f"btcbot: error: --out {page}: cannot be written (No space left on device); the input "
            "is unchanged: free space there or pass another path"
        )
        assert done.stderr.strip().splitlines() == [expected]
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]


def test_json_metrics_and_csv_export(backtest_report: Path) -> None:
    """--json prints every metric with its convention; the CSV decimals are plain."""
    backtest = backtest_report.parent / "bt"
    done = _btcbot("report", "--backtest", backtest, "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert {"sharpe", "sortino", "cagr_pct", "calmar", "max_drawdown_pct"} <= set(
        document["metrics"]
    )
    assert all(m["convention"] for m in document["metrics"].values())
    fills = (backtest_report.parent / "csv" / "fills.csv").read_text("utf-8")
    assert "E-" not in fills
    assert "E+" not in fills
