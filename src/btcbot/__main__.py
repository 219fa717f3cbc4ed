"""``python -m btcbot`` behaves exactly like the ``btcbot`` console script."""

from btcbot.cli import entry

entry()
