"""The documented exit codes (docs/CLI.md), shared by the parser and the command handlers."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_REFUSED = 4
EXIT_INTERRUPTED = 130
# btcbot health follows the Nagios plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
HEALTH_UNKNOWN = 3
