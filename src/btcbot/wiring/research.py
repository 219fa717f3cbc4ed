"""The exchange client of the research commands: public, unsigned, no role and no database."""

from __future__ import annotations

from collections.abc import Mapping

from btcbot.adapters.clock import SystemClock
from btcbot.exchange.client import BtcturkClient
from btcbot.settings.model import BTCTURK_GRAPH_URL, BTCTURK_REST_URL


def public_client(environ: Mapping[str, str]) -> BtcturkClient:
    """A client for public market data (BTCTURK_BASE_URL / BTCTURK_GRAPH_URL, else BtcTurk's).

    It holds no key, so it cannot sign, and so it cannot trade whatever it is asked.
    """
    base = environ.get("BTCTURK_BASE_URL", "").strip() or BTCTURK_REST_URL
    graph = environ.get("BTCTURK_GRAPH_URL", "").strip() or BTCTURK_GRAPH_URL
    return BtcturkClient(
        base_url=base,
        graph_url=graph,
        api_key=None,
        api_secret=None,
        clock=SystemClock(),
        auto_sync_clock=False,
    )
