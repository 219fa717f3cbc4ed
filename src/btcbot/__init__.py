"""btcbot: a two-process trading daemon for the BtcTurk spot exchange."""

__version__ = "0.1.0"
