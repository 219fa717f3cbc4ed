"""A strategy module that calls ``sys.exit`` while it is imported (the process ended, exit 3)."""

import sys

sys.exit(3)
