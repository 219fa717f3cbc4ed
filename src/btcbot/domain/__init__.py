"""Pure domain models, enums and the error tree; imports nothing else from btcbot."""
