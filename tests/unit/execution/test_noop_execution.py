"""NoopExecution refuses every order-changing call."""

from __future__ import annotations

import pytest

from btcbot.domain.errors import TradeBlockedError
from btcbot.execution.noop import NoopExecution


@pytest.mark.parametrize(
    "method", ["submit", "cancel", "cancel_all", "submit_order", "cancel_order"]
)
def test_every_trade_method_raises_trade_blocked(method: str) -> None:
    """Each submit/cancel spelling raises TradeBlockedError naming the MONITOR role."""
    with pytest.raises(TradeBlockedError, match="MONITOR role cannot trade"):
        getattr(NoopExecution(), method)("anything", order_id=1)


def test_noop_holds_no_client_or_state() -> None:
    """NoopExecution has no attributes at all: there is nothing it could send through."""
    assert vars(NoopExecution()) == {}
