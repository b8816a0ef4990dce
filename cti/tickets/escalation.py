"""Complaint escalation: the facts of a complaint and the time in, a decision out.

* Level 0 → 1 (主管, a supervisor): an SLA clock of the complaint has been breached
  (``sla_breach``), or the customer has called about it ``repeat_calls`` times within
  ``repeat_window`` (``repeat_calls``; a window is half open, (t − window, t]).
* Level 1 → 2 (经理, a manager): a clock breached after level 1 was raised (``further_breach``),
  or level 1 not acknowledged within ``ack_timeout`` (``unacknowledged``; an acknowledgement at
  the deadline is in time).
* Never above level 2; nothing for a closed complaint. One step at a time.

The decision follows from the facts, not from when :func:`decide` is asked: three calls within
48 hours escalate even when it runs only days later, and an acknowledgement after the timeout
does not undo the level 2 it missed. The caller records a decision (the new level and, for
level 1, ``level1_at`` and ``breaches_at_level1``); on the recorded view the same facts give
``None``, so a decision is never repeated. :func:`next_check` tells a scheduler when a rule that
depends on time alone (the acknowledgement timeout) fires next. Datetimes: all aware (or all
naive) in one convention, as the service stores them.

>>> from dataclasses import replace
>>> from datetime import datetime, timedelta, timezone
>>> t0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
>>> calls = (t0, t0 + timedelta(hours=20), t0 + timedelta(hours=47))
>>> view = ComplaintView(level=0, breaches=0, call_times=calls)
>>> decide(view, Rules(), now=calls[-1])
Escalate(level=1, reason='repeat_calls')
>>> raised = replace(view, level=1, level1_at=calls[-1])  # the caller records it
>>> decide(raised, Rules(), now=calls[-1] + timedelta(minutes=5)) is None
True
>>> next_check(raised, Rules(), now=calls[-1]) == calls[-1] + timedelta(hours=2)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["LEVELS", "REASONS", "ComplaintView", "Escalate", "Rules", "decide", "next_check"]

LEVELS = (1, 2)  # 主管 (supervisor), 经理 (manager); 0 is the hotline's own
REASONS = ("sla_breach", "repeat_calls", "further_breach", "unacknowledged")


@dataclass(frozen=True, slots=True)
class Rules:
    repeat_calls: int = 3  # inbound calls about the complaint ...
    repeat_window: timedelta = timedelta(hours=48)  # ... within this: level 1
    ack_timeout: timedelta = timedelta(hours=2)  # level 1 not acknowledged within this: level 2

    def __post_init__(self) -> None:
        count = self.repeat_calls
        if isinstance(count, bool) or not isinstance(count, int) or count < 2:
            raise ValueError(f"repeat_calls must be a whole number of calls, at least 2 (got {count!r})")
        for name in ("repeat_window", "ack_timeout"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise ValueError(f"{name} must be a positive timedelta (got {value!r})")


@dataclass(frozen=True, slots=True)
class ComplaintView:
    """What escalation needs to know of a complaint ticket."""

    level: int = 0  # 0, 1 or 2
    breaches: int = 0  # SLA clocks of the ticket breached so far
    breaches_at_level1: int = 0  # ``breaches`` when level 1 was raised
    level1_at: datetime | None = None
    level1_acked_at: datetime | None = None
    call_times: tuple[datetime, ...] = ()  # inbound calls linked to the ticket, in any order
    open: bool = True

    def __post_init__(self) -> None:
        if self.level not in (0, *LEVELS):
            raise ValueError(f"level must be 0, 1 or 2 (got {self.level!r})")
        if self.breaches < 0 or not 0 <= self.breaches_at_level1 <= self.breaches:
            raise ValueError(
                f"breach counts only grow: 0 <= breaches_at_level1 ({self.breaches_at_level1})"
                f" <= breaches ({self.breaches})"
            )
        if self.level1_at is None and (self.level >= 1 or self.level1_acked_at is not None):
            raise ValueError("a complaint escalated to level 1 needs level1_at")


@dataclass(frozen=True, slots=True)
class Escalate:
    level: int  # the level to raise the complaint to
    reason: str  # one of REASONS


def decide(view: ComplaintView, rules: Rules, now: datetime) -> Escalate | None:
    """The next step up for this complaint now, if any (see the module docstring)."""
    if not view.open:
        return None
    if view.level == 0:
        if view.breaches >= 1:
            return Escalate(1, "sla_breach")
        if _repeat_burst(view.call_times, rules, now):
            return Escalate(1, "repeat_calls")
    elif view.level == 1:
        if view.breaches > view.breaches_at_level1:
            return Escalate(2, "further_breach")
        deadline = _ack_deadline(view, rules)
        if deadline is not None and now >= deadline:
            return Escalate(2, "unacknowledged")
    return None


def next_check(view: ComplaintView, rules: Rules, now: datetime) -> datetime | None:
    """When a time-based rule fires next, never before ``now`` (it may be due already); ``None``
    when only a new fact (a breach, a call, an acknowledgement missed) can escalate further."""
    if not view.open or view.level != 1:
        return None
    deadline = _ack_deadline(view, rules)
    return None if deadline is None else max(deadline, now)


def _repeat_burst(times: Sequence[datetime], rules: Rules, now: datetime) -> bool:
    """``repeat_calls`` calls, up to now, within one window (t − repeat_window, t]."""
    past = sorted(t for t in times if t <= now)
    n = rules.repeat_calls
    return any(past[i + n - 1] - past[i] < rules.repeat_window for i in range(len(past) - n + 1))


def _ack_deadline(view: ComplaintView, rules: Rules) -> datetime | None:
    """When level 1, unacknowledged, escalates; ``None`` if it was acknowledged in time."""
    if view.level1_at is None:  # not at level 1 (ComplaintView checks that level 1 has it)
        return None
    deadline = view.level1_at + rules.ack_timeout
    acked = view.level1_acked_at
    return None if acked is not None and acked <= deadline else deadline
