"""Small adapters to the outside world: clock, id generation, filesystem helpers."""
