"""Mutation testing of the order path's safety code (not in CI; well over an hour on 2 cores).

Usage::

    python tools/mutation.py            # mutate, test, then print the score and the survivors
    python tools/mutation.py --report   # only the score and survivors of the last run

The modules and the tests that guard them are ``[tool.mutmut]`` in pyproject.toml: the arming
policy, the ledger (fills, valuation, balances, its stored form), the account model, the
trading state, the risk context, rules, sizing and engine, the quantizer, client order ids,
execution (submits and cancels), order syncing and reconciliation; the walls that keep an
unarmed process off real exchanges (the egress guard, paper mode's wire, the database guards,
arming and disarming, the database lock), quarantine, the books against the account, the
exchange's error table, order mappers and request rules, the market-data checks, the decision
core, the LIVE cycle with its books (the order of its steps, one commit per cycle), the market
data service, the health checks whose levels the scheduler reads, the status file (its writer
and its format), the LIVE loop and service, the trading types and risk limits, the process
lifecycle, paper mode's market, the repositories of orders, fills, ledger snapshots, the
trading state and the cycle journal, and the exchange client (its mappers and wire values, the
signer, the exchange clock, the rate limiter, the session that sends each request and the
client's calls), the emulator's matching engine (order validation, fills, stops, the synthetic
book, fees: the truth every dry run and backtest books), the settings' parsers, the unit of
work and the candle window. mutmut copies them into ``mutants/`` (git-ignored) and
runs, for each mutant, the tests that cover the mutated function; a mutant *survives* when
every one of them still passes. The scores and the list of survivors with the reason each is
equivalent (or the test that now kills it) are in docs/TESTING.md. Needs the ``mutation`` extra
(``pip install -e .[mutation]``) and fork (Linux, WSL).
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _mutmut() -> str:
    found = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or shutil.which("mutmut")
    if found is None:
        sys.exit("mutmut is not installed: pip install -e .[mutation]")
    return found


def _results(mutmut: str) -> dict[str, list[str]]:
    """Mutant names by status (killed, survived, no tests, timeout, ...)."""
    out = subprocess.run(
        [mutmut, "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    by_status: dict[str, list[str]] = collections.defaultdict(list)
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            by_status[status].append(name)
    return by_status


def main() -> int:
    """Run (unless ``--report``) and summarise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="summarise the last run only")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    mutmut = _mutmut()
    if not args.report:
        subprocess.run([mutmut, "run", "--max-children", str(args.children)], cwd=ROOT, check=False)
    by_status = _results(mutmut)
    killed = len(by_status.get("killed", []))
    survived = by_status.get("survived", [])
    total = sum(len(v) for v in by_status.values())
    tested = killed + len(survived)
    print(f"mutants {total}: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(by_status.items())))
    if tested:
        print(f"score (killed / killed + survived): {killed}/{tested} = {killed / tested:.1%}")
    per_module = collections.Counter(name.split(".x_")[0] for name in survived)
    for module, count in per_module.most_common():
        print(f"  survived in {module}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
