"""Saving and loading the emulator's state as JSON atomically, so a restart resumes the exchange."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from btcbot.sim.feed import Bar
from btcbot.sim.model import Account, SimOrder, SimTrade, SimTransfer

if TYPE_CHECKING:
    from btcbot.sim.exchange import SimConfig, SimExchange

FORMAT_VERSION = 1


def state_of(sim: SimExchange) -> dict[str, Any]:
    """Everything needed to resume: the market anchor, ids, the account, orders and trades."""
    return {
        "format": FORMAT_VERSION,
        "anchor": sim.anchor,
        "symbols": sorted(sim.pairs),
        "processed_until": sim.processed_until,
        # The sim clock when saved: later than every stamp in the file (a restart resumes here).
        "saved_at": sim.epoch(),
        "seq": sim.seq,
        "last_order_id": sim.last_order_id,
        "last_trade_id": sim.last_trade_id,
        "account": sim.account.to_dict(),
        "orders": [o.to_dict() for o in sim.orders.values()],
        "trades": [t.to_dict() for t in sim.trades],
        "transfers": [t.to_dict() for t in sim.transfers],
    }


def save_state(sim: SimExchange, path: Path) -> None:
    """Write the whole exchange state to ``path`` atomically."""
    write_atomically(path, json.dumps(state_of(sim), separators=(",", ":")))
    sim.dirty = False


def write_atomically(path: Path, payload: str) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_state(
    cls: type[SimExchange],
    path: Path,
    feeds: Mapping[str, Sequence[Bar]],
    *,
    now: Callable[[], datetime],
    config: SimConfig | None,
) -> SimExchange:
    """Rebuild a SimExchange from ``path``; ValueError names what does not fit."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read emulator state {path.name}: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path.name} is not an emulator state file (format {FORMAT_VERSION})")
    sim = cls(feeds, now=now, config=config, anchor=float(raw["anchor"]))
    if sorted(sim.pairs) != raw["symbols"]:
        raise ValueError(
            f"{path.name} was saved with pairs {raw['symbols']}, now given {sorted(sim.pairs)}; "
            "pass the same --data files or start with a fresh --state file"
        )
    sim.processed_until = float(raw["processed_until"])
    sim.saved_at = float(raw.get("saved_at", sim.processed_until))
    sim.seq = int(raw["seq"])
    sim.last_order_id = int(raw["last_order_id"])
    sim.last_trade_id = int(raw["last_trade_id"])
    sim.account = Account.from_dict(raw["account"])
    sim.orders = {o.id: o for o in (SimOrder.from_dict(d) for d in raw["orders"])}
    sim.open = {k: o for k, o in sim.orders.items() if o.is_open}
    sim.trades = [SimTrade.from_dict(d) for d in raw["trades"]]
    sim.transfers = [SimTransfer.from_dict(d) for d in raw.get("transfers", [])]
    sim.dirty = False
    return sim
