"""``btcbot sweep``: grids, random search and walk-forward over ``btcbot backtest``."""
