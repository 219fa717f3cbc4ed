"""Use cases: the run loop, health, reconciliation, arming, inspect."""
