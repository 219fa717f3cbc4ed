"""A sweep's journal: a line that is not a whole row is computed again, never a crash.

A resumed sweep reads ``journal.jsonl`` and reuses its rows. A torn line was already skipped;
a line that was not UTF-8 stopped the sweep with a UnicodeDecodeError, and a row lacking a
field with a KeyError, both reported as "internal error ... a btcbot bug" (exit 1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from btcbot.domain.errors import ConfigError
from btcbot.sweep.runner import JOURNAL, read_journal
from btcbot.sweep.tasks import METRICS, ROW_FIELDS


def _row(key: str, fingerprint: str) -> dict[str, object]:
    window, phase, point = key.split(":")
    row: dict[str, object] = dict.fromkeys(METRICS, 1.0)
    return row | {
        "key": key, "window": int(window), "phase": phase, "point": point, "from": "2026-01-01",
        "to": "2026-01-02", "fingerprint": fingerprint, "input_sha256": "i", "fills": 3,
        "daily_equity": [["2026-01-01", 100.0]],
    }  # fmt: skip


def test_the_rows_fixture_carries_every_field_a_task_writes() -> None:
    """So that the journal below differs from a real one only where it is damaged."""
    assert set(_row("0:full:a", "f")) == ROW_FIELDS


def test_only_whole_rows_are_reused_the_first_of_each_key(tmp_path: Path) -> None:
    """Damaged lines are skipped, so their tasks run again; a later copy of a key is ignored."""
    lacking = _row("0:full:b", "fb")
    del lacking["fingerprint"]
    lines = [
        json.dumps(_row("0:full:a", "first")).encode(),
        json.dumps(lacking).encode(),
        b'{"key": "0:full:c", "window": 0, "pha',  # torn by a crash
        b"\xff\xfe" + json.dumps(_row("0:full:d", "fd")).encode(),  # not UTF-8
        json.dumps(_row("0:full:a", "second")).encode(),
        json.dumps(_row("0:full:b", "recomputed")).encode(),
        json.dumps(_row("0:full:e", "fe") | {"key": 5}).encode(),  # a key that is not text
    ]
    (tmp_path / JOURNAL).write_bytes(b"\n".join(lines) + b"\n")
    rows = read_journal(tmp_path)
    assert {k: r["fingerprint"] for k, r in rows.items()} == {
        "0:full:a": "first",
        "0:full:b": "recomputed",
    }


def test_an_unreadable_journal_is_one_line_naming_it(tmp_path: Path) -> None:
    """A directory where the journal should be: refused (exit 2), not an internal error."""
    (tmp_path / JOURNAL).mkdir()
    with pytest.raises(ConfigError, match=r"journal\.jsonl: cannot be read .*pass another --out"):
        read_journal(tmp_path)
