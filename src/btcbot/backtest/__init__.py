"""Replay backtests on the LIVE decision core (see ``btcbot.backtest.engine``)."""
