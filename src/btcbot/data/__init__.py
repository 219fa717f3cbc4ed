"""Market data for research: ``btcbot data fetch`` (see ``btcbot.data.fetch``)."""
