"""`btcbot db check` for operators who start from the scripts folder; the CLI does the work."""

from __future__ import annotations

import sys

from btcbot.cli import main

if __name__ == "__main__":
    sys.exit(main(["db", "check", *sys.argv[1:]]))
