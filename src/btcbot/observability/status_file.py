"""The LIVE status file: what the MONITOR knows about the LIVE process, rewritten every cycle.

LIVE writes ``CONTROL_DIR/live_status.json`` atomically after each cycle (and on start and
stop); the MONITOR only reads it, so the two processes never share a database. The file holds
no secret and no money: only liveness, arming and error facts.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from btcbot.observability.atomic import SHARED_READABLE, atomic_write_text

STATUS_FILE_NAME = "live_status.json"
SCHEMA_VERSION = 1
LIVE_MODE = "live"
# Sim and paper runs send no real order; "dry-run" is how files before the modes said either.
DRY_RUN_MODES = frozenset({"sim", "paper", "dry-run"})


class StatusFileError(ValueError):
    """The status file exists but is not a readable btcbot status document."""


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """One snapshot of the LIVE process, as of ``written_at``.

    ``state`` is ``starting``, ``running``, ``stopping`` or ``stopped`` (a clean exit writes
    ``stopped``, so a dead pid with ``running`` means a crash). ``last_cycle_at`` is ``None``
    until the first cycle completes. ``mode`` is ``sim``, ``paper`` or ``live``
    (``dry-run`` in older files).
    ``trading_allowed`` is what ``TradingArmedPolicy`` said about a new order at the last write
    (a dry run needs no arming, so ``armed`` alone does not say whether LIVE trades); ``None``
    in a file written before the field existed.
    """

    pid: int
    hostname: str
    instance_id: str
    started_at: datetime
    written_at: datetime
    state: str
    mode: str
    cycle_seconds: float
    armed: bool
    kill_switch: bool
    cycle_id: str | None = None
    last_cycle_at: datetime | None = None
    kill_reason: str | None = None
    open_orders: int = 0
    last_error: str | None = None
    symbols: tuple[str, ...] = field(default_factory=tuple)
    trading_allowed: bool | None = None
    # The stored trading state (active / reducing / halted), its typed cause and reason.
    trading_state: str | None = None
    trading_state_cause: str | None = None
    trading_state_reason: str | None = None
    # Orders resting on the account that the bot did not place (never its to cancel).
    foreign_orders: int = 0

    def __post_init__(self) -> None:
        for name in ("started_at", "written_at", "last_cycle_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"LiveStatus.{name} must be timezone-aware UTC")


def status_path(control_dir: Path) -> Path:
    """Where LIVE writes, and MONITOR reads, the status file."""
    return control_dir / STATUS_FILE_NAME


def _to_json(status: LiveStatus) -> str:
    raw = asdict(status)
    for key, value in raw.items():
        if isinstance(value, datetime):
            raw[key] = value.astimezone(UTC).isoformat()
        elif isinstance(value, tuple):
            raw[key] = list(value)
    raw["schema_version"] = SCHEMA_VERSION
    return json.dumps(raw, sort_keys=True, indent=2) + "\n"


def write_status(path: Path, status: LiveStatus) -> None:
    """Replace the status file atomically (temp file + rename)."""
    atomic_write_text(path, _to_json(status), mode=SHARED_READABLE)


def _optional_time(raw: dict[str, Any], key: str) -> datetime | None:
    value = raw.get(key)
    return None if value is None else _required_time(raw, key)


def _required_time(raw: dict[str, Any], key: str) -> datetime:
    value = raw.get(key)
    if not isinstance(value, str):
        raise StatusFileError(f"status file field {key!r} is missing or not a time")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise StatusFileError(f"status file field {key!r} has no timezone")
    return parsed.astimezone(UTC)


def _optional_str(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else str(value)


def _parse(raw: dict[str, Any]) -> LiveStatus:
    return LiveStatus(
        pid=int(raw["pid"]),
        hostname=str(raw["hostname"]),
        instance_id=str(raw["instance_id"]),
        started_at=_required_time(raw, "started_at"),
        written_at=_required_time(raw, "written_at"),
        state=str(raw["state"]),
        mode=str(raw["mode"]),
        cycle_seconds=float(raw["cycle_seconds"]),
        armed=bool(raw["armed"]),
        kill_switch=bool(raw["kill_switch"]),
        cycle_id=_optional_str(raw, "cycle_id"),
        last_cycle_at=_optional_time(raw, "last_cycle_at"),
        kill_reason=_optional_str(raw, "kill_reason"),
        open_orders=int(raw.get("open_orders", 0)),
        last_error=_optional_str(raw, "last_error"),
        symbols=tuple(str(s) for s in raw.get("symbols", [])),
        trading_allowed=_optional_bool(raw, "trading_allowed"),
        trading_state=_optional_str(raw, "trading_state"),
        trading_state_cause=_optional_str(raw, "trading_state_cause"),
        trading_state_reason=_optional_str(raw, "trading_state_reason"),
        foreign_orders=int(raw.get("foreign_orders", 0)),
    )


def _optional_bool(raw: dict[str, Any], key: str) -> bool | None:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise StatusFileError(f"status file field {key!r} is not true, false or null")


def _read_bytes(path: Path, attempts: int = 5) -> bytes:
    # On Windows the file is briefly unopenable while LIVE renames a new one over it.
    for _ in range(attempts - 1):
        try:
            return path.read_bytes()
        except PermissionError:
            time.sleep(0.05)
    return path.read_bytes()


def read_status(path: Path) -> LiveStatus:
    """Read the status file.

    Raises:
        FileNotFoundError: LIVE has never written one in this ``CONTROL_DIR``.
        StatusFileError: the file is not valid JSON of the expected shape.
    """
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise StatusFileError(
            f"{path} is not UTF-8 text (binary, or saved as UTF-16): only LIVE writes it; "
            "delete it and let LIVE rewrite it at its next cycle"
        ) from None
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise StatusFileError(f"{path} is not valid JSON: LIVE rewrites it every cycle") from exc
    if not isinstance(raw, dict):
        raise StatusFileError(f"{path} is not a JSON object: LIVE rewrites it every cycle")
    version = raw.get("schema_version")
    if version is None:
        raise StatusFileError(
            f"{path} has no schema_version, so LIVE did not write it: delete it and let LIVE "
            "rewrite it at its next cycle"
        )
    if version != SCHEMA_VERSION:
        raise StatusFileError(
            f"status file schema_version {version!r} is not {SCHEMA_VERSION}; "
            "LIVE and MONITOR run different btcbot versions"
        )
    try:
        return _parse(raw)
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        if isinstance(exc, StatusFileError):
            raise
        raise StatusFileError(f"status file is malformed: {type(exc).__name__} {exc}") from exc
