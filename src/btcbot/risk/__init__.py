"""Pre-trade checks, limits, the kill-switch policy and TradingArmedPolicy; pure code, no I/O."""
