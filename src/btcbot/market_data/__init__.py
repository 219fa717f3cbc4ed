"""Market snapshots from the exchange, normalised to domain models."""
