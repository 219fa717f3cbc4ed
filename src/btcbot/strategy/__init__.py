"""Deterministic signals from a market snapshot; pure code, no I/O."""
