"""``python -m btcbot`` behaves exactly like the ``btcbot`` console script."""

import sys

from btcbot.cli import main

sys.exit(main())
