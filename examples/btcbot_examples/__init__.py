"""Example strategies for btcbot: put ``examples`` on PYTHONPATH and name them in STRATEGIES."""
