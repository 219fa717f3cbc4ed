"""``btcbot report``: one offline HTML page (and CSV/JSON) from a backtest or a LIVE database."""
