"""``TradingArmedPolicy``: the last gate before any submit or cancel, pure and I/O-free.

Two paths may place orders, and nothing else may:

- **live**: ``APP_ROLE=live``, ``LIVE_TRADING=true``, ``LIVE_TRADING_ACK`` given,
  ``SAFE_MODE=false``, ``KILL_SWITCH=false``, the LIVE database armed (``btcbot arm``), no kill
  file, and ``EXCHANGE=btcturk``.
- **dry run** (sim or paper mode): ``APP_ROLE=live``, ``LIVE_TRADING=false``,
  ``SAFE_MODE=false``, ``KILL_SWITCH=false`` and no kill file. Arming is not needed because no
  real money moves: the orders go to the emulator (sim) or to the local paper engine (paper).

Where a request may *go* is decided at the transport, by destination (``egress_blockers``,
enforced by ``btcbot.exchange.egress``): a dry run's signed requests and orders can only reach
loopback or in-process engines, whatever ``EXCHANGE`` says, so a wiring mistake cannot send a
"test" order to BtcTurk.

Cancels only reduce exposure, so they are allowed on both paths whatever the arming, kill-switch
or safe-mode state (a disarmed LIVE must still cancel its open orders); they still need the LIVE
role and an exchange that matches the mode. The MONITOR role can do neither, ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from btcbot.domain.enums import ExchangeKind, RequestKind, Role
from btcbot.domain.errors import TradeBlockedError


class BlockReason(StrEnum):
    """Why trading is blocked; each value reads as the remedy's subject."""

    NOT_LIVE_ROLE = "APP_ROLE is not live"
    NOT_ACKNOWLEDGED = "LIVE_TRADING_ACK is not given"
    SAFE_MODE = "SAFE_MODE=true"
    KILL_SWITCH = "KILL_SWITCH=true"
    NOT_ARMED = "the LIVE database is not armed (run 'btcbot arm')"
    KILL_FILE = "a kill file is present (written by 'btcbot disarm')"
    LIVE_ON_EMULATOR = "LIVE_TRADING=true needs EXCHANGE=btcturk"
    DRY_RUN = "LIVE_TRADING=false: sim and paper runs never reach a real exchange"
    EMULATOR = "EXCHANGE=sim: the emulator is the only exchange of this process"
    CLOCK_UNTRUSTED = "the exchange's clock is not known well enough (see the LIVE log)"


@dataclass(frozen=True, slots=True)
class TradingFacts:
    """Everything the policy decides on, gathered by the caller before the call."""

    role: Role
    live_trading: bool
    ack: bool
    safe_mode: bool
    kill_switch: bool
    armed: bool
    kill_file_present: bool
    exchange: ExchangeKind = ExchangeKind.BTCTURK
    clock_trusted: bool = True


class TradingArmedPolicy:
    """Decides whether a submit (or a cancel) may go out; raises before any I/O if not."""

    def submit_blockers(self, facts: TradingFacts) -> list[BlockReason]:
        """Every reason a new order would be refused, in a stable order (empty: allowed)."""
        reasons = self._mode_blockers(facts)
        if facts.safe_mode:
            reasons.append(BlockReason.SAFE_MODE)
        if facts.kill_switch:
            reasons.append(BlockReason.KILL_SWITCH)
        if facts.kill_file_present:
            reasons.append(BlockReason.KILL_FILE)
        if not facts.clock_trusted:
            reasons.append(BlockReason.CLOCK_UNTRUSTED)
        if facts.live_trading:
            if not facts.ack:
                reasons.append(BlockReason.NOT_ACKNOWLEDGED)
            if not facts.armed:
                reasons.append(BlockReason.NOT_ARMED)
        return reasons

    def cancel_blockers(self, facts: TradingFacts) -> list[BlockReason]:
        """Every reason a cancel would be refused: only role and mode, never arming state."""
        return self._mode_blockers(facts)

    def egress_blockers(self, facts: TradingFacts, kind: RequestKind) -> list[BlockReason]:
        """Why a request of ``kind`` may not go to a host outside loopback (empty: it may).

        Public market data may always go. Anything signed, and every order POST or DELETE,
        only from the one armed-live combination: LIVE role, ``LIVE_TRADING=true`` with the
        ack, ``EXCHANGE=btcturk``, armed, neither safe mode nor the kill switch. Reads and
        cancels stay allowed with a kill file (a disarmed LIVE must see and cancel its
        orders); a new order does not.
        """
        if kind is RequestKind.PUBLIC:
            return []
        checks = (
            (facts.role is not Role.LIVE, BlockReason.NOT_LIVE_ROLE),
            (not facts.live_trading, BlockReason.DRY_RUN),
            (facts.exchange is not ExchangeKind.BTCTURK, BlockReason.EMULATOR),
            (not facts.ack, BlockReason.NOT_ACKNOWLEDGED),
            (not facts.armed, BlockReason.NOT_ARMED),
            (facts.safe_mode, BlockReason.SAFE_MODE),
            (facts.kill_switch, BlockReason.KILL_SWITCH),
            (kind is RequestKind.ORDER_POST and facts.kill_file_present, BlockReason.KILL_FILE),
        )
        return [reason for broken, reason in checks if broken]

    def check_submit(self, facts: TradingFacts) -> None:
        """Raise ``TradeBlockedError`` naming every blocker unless a new order may be sent."""
        _raise_if("submit", self.submit_blockers(facts))

    def check_cancel(self, facts: TradingFacts) -> None:
        """Raise ``TradeBlockedError`` unless a cancel may be sent."""
        _raise_if("cancel", self.cancel_blockers(facts))

    def check(
        self,
        *,
        role: Role,
        live_trading: bool,
        ack: bool,
        safe_mode: bool,
        kill_switch: bool,
        armed: bool,
        kill_file_present: bool,
        exchange: ExchangeKind = ExchangeKind.BTCTURK,
    ) -> None:
        """Keyword form of ``check_submit`` (the INTERFACES.md signature)."""
        self.check_submit(
            TradingFacts(
                role=role,
                live_trading=live_trading,
                ack=ack,
                safe_mode=safe_mode,
                kill_switch=kill_switch,
                armed=armed,
                kill_file_present=kill_file_present,
                exchange=exchange,
            )
        )

    @staticmethod
    def _mode_blockers(facts: TradingFacts) -> list[BlockReason]:
        if facts.role is not Role.LIVE:
            return [BlockReason.NOT_LIVE_ROLE]
        if facts.live_trading and facts.exchange is not ExchangeKind.BTCTURK:
            return [BlockReason.LIVE_ON_EMULATOR]
        return []


def _raise_if(action: str, reasons: list[BlockReason]) -> None:
    if reasons:
        joined = "; ".join(r.value for r in reasons)
        raise TradeBlockedError(f"{action} blocked: {joined}")
