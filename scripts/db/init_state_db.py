"""`btcbot db init` for operators who start from the scripts folder; the CLI does the work."""

from __future__ import annotations

import sys

from btcbot.cli import main

if __name__ == "__main__":
    sys.exit(main(["db", "init", *sys.argv[1:]]))
