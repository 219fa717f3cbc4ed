"""Strategies of your own, each in a process of its own, so LIVE outlives what they do.

A strategy loaded by import path is code we did not write. In the LIVE process a strategy that
raises or returns garbage was always caught; one that never returns hung the whole cycle (no
reconcile, no cancel past TTL, a stale status file), because Python cannot stop a running
function portably. Here it runs in a child process (``python -m btcbot.isolation``) that LIVE
can stop: ``host`` is LIVE's side, ``child`` the child's, ``frames`` the wire between them.
"""
