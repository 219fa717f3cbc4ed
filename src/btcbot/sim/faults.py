"""Fault injection chosen per run: which requests fail, how, seeded and deterministic.

Spec grammar (docs/EMULATOR.md), items separated by commas::

    KIND:TRIGGER[@PATH_PREFIX]     a fault; TRIGGER is a probability 0..1 or #N[+N...]
                                   (the Nth eligible request, counted from 1, per item)
    seed=INT                       the random stream for probabilities (default 0)
    skew=SECONDS                   server clock offset (server/time and the stamp window)
    retry_after=SECONDS            Retry-After of injected 429s (default 1)
    slow=SECONDS                   delay of "slow" responses (default 0.2)

KIND is one of 429, 5xx, 502html, slow, timeout, reset, malformed, timeout_after_accept,
5xx_after_accept. The two ``*_after_accept`` kinds apply only to ``POST`` and ``DELETE
/api/v1/order`` and take effect *after* the request did its work. Example:
``429:0.1,5xx:0.05,timeout_after_accept:#2,skew=-7``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum


class FaultKind(StrEnum):
    """What an injected fault does to one request."""

    RATE_LIMIT = "429"
    SERVER_ERROR = "5xx"  # JSON 500/503, request not executed
    HTML_502 = "502html"  # Cloudflare-style HTML page, request not executed
    SLOW = "slow"  # answered normally after a delay
    TIMEOUT = "timeout"  # X-Sim-Fault: timeout, request not executed
    RESET = "reset"  # X-Sim-Fault: reset, request not executed
    MALFORMED = "malformed"  # executed, body cut in half (invalid JSON)
    TIMEOUT_AFTER_ACCEPT = "timeout_after_accept"  # executed, then X-Sim-Fault: timeout
    SERVER_ERROR_AFTER_ACCEPT = "5xx_after_accept"  # executed, then a JSON 500

    @property
    def after_accept(self) -> bool:
        """True for faults that strike after the order request took effect."""
        return self in (FaultKind.TIMEOUT_AFTER_ACCEPT, FaultKind.SERVER_ERROR_AFTER_ACCEPT)


ORDER_PATH = "/api/v1/order"


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One ``KIND:TRIGGER[@PREFIX]`` item."""

    kind: FaultKind
    probability: float = 0.0
    nth: frozenset[int] = frozenset()
    path_prefix: str = ""

    def eligible(self, method: str, path: str) -> bool:
        """Whether a request may be struck by this rule (and so counts toward ``#N``)."""
        if self.kind.after_accept and not (path == ORDER_PATH and method in ("POST", "DELETE")):
            return False
        return path.startswith(self.path_prefix)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """A parsed spec; :class:`FaultInjector` applies it."""

    rules: tuple[FaultRule, ...] = ()
    seed: int = 0
    skew_seconds: float = 0.0
    retry_after: int = 1
    slow_seconds: float = 0.2
    spec: str = field(default="", compare=False)

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        """Parse ``spec``; ValueError names the offending item and the grammar."""
        rules: list[FaultRule] = []
        settings: dict[str, float] = {}
        for raw in (part.strip() for part in spec.split(",")):
            if not raw:
                continue
            if "=" in raw:
                name, _, value = raw.partition("=")
                if name.strip() not in ("seed", "skew", "retry_after", "slow"):
                    raise ValueError(f"fault spec: unknown setting {name!r} in {raw!r}")
                settings[name.strip()] = _number(value, raw)
                continue
            rules.append(_rule(raw))
        return cls(
            rules=tuple(rules),
            seed=int(settings.get("seed", 0)),
            skew_seconds=settings.get("skew", 0.0),
            retry_after=max(0, int(settings.get("retry_after", 1))),
            slow_seconds=max(0.0, settings.get("slow", 0.2)),
            spec=spec,
        )


def _number(value: str, item: str) -> float:
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"fault spec: {item!r} needs a number after '='") from exc


def _rule(item: str) -> FaultRule:
    kind_text, sep, rest = item.partition(":")
    kinds = ", ".join(k.value for k in FaultKind)
    if not sep:
        raise ValueError(f"fault spec: {item!r} is not KIND:TRIGGER (kinds: {kinds})")
    try:
        kind = FaultKind(kind_text.strip())
    except ValueError as exc:
        raise ValueError(f"fault spec: unknown fault {kind_text!r} (kinds: {kinds})") from exc
    trigger, _, prefix = rest.partition("@")
    trigger = trigger.strip()
    if trigger.startswith("#"):
        try:
            nth = frozenset(int(n) for n in trigger[1:].split("+"))
        except ValueError as exc:
            raise ValueError(f"fault spec: {item!r}: #N needs whole numbers, e.g. #1+3") from exc
        return FaultRule(kind, nth=nth, path_prefix=prefix.strip())
    probability = _number(trigger, item)
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"fault spec: {item!r}: probability must be within 0..1")
    return FaultRule(kind, probability=probability, path_prefix=prefix.strip())


class FaultInjector:
    """Decides, request by request, which fault (if any) strikes; same spec -> same sequence."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._rng = random.Random(plan.seed)
        self._counts = [0] * len(plan.rules)

    def decide(self, method: str, path: str) -> FaultKind | None:
        """The fault for this request; every eligible rule counts it (and draws) in order."""
        chosen: FaultKind | None = None
        for i, rule in enumerate(self.plan.rules):
            if not rule.eligible(method, path):
                continue
            self._counts[i] += 1
            hit = self._counts[i] in rule.nth if rule.nth else self._rng.random() < rule.probability
            if hit and chosen is None:
                chosen = rule.kind
        return chosen

    def pick(self, choices: int) -> int:
        """A seeded choice among ``choices`` variants (e.g. 500 or 503)."""
        return self._rng.randrange(choices)
