"""The operator commands' handlers: ``btcbot.cli`` parses, these run (loaded only when used)."""
