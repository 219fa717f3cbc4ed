"""Repositories: domain objects in, domain objects out; the only place btcbot's SQL lives."""
