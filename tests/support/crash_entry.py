"""``btcbot run`` with crash points injected through the wiring (crash-safety tests only).

Usage: ``python crash_entry.py SPEC run --loop ...``: the real command line of ``btcbot run``
after the spec, the real ``run_live_command``, and one difference: the LIVE wiring's transport is a
``CrashPointTransport`` over the network transport, so the process SIGKILLs itself at the
points the spec names (``crash_points.py``).
"""

from __future__ import annotations

import sys
from functools import partial

import httpx
from crash_points import CrashPlan, CrashPointTransport

from btcbot import cli
from btcbot.commands.run import run_live_command
from btcbot.wiring import build_live


def main(argv: list[str]) -> int:
    """Run ``btcbot argv[1:]`` with the crash plan ``argv[0]``."""
    spec, rest = argv[0], argv[1:]
    transport = CrashPointTransport(httpx.HTTPTransport(), CrashPlan(spec))
    args = cli.build_parser().parse_args(rest)
    return run_live_command(args, build=partial(build_live, transport=transport))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
