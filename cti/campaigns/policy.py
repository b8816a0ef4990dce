"""What an attempt's end means and what comes next: pure rules, no I/O, the time passed in.

* :func:`outcome_of_cause`: the PBX's own reason (the Hangup Cause, Q.850, of the dialled leg, as
  the tracker reports it in ``OriginateFailed``) as a campaign outcome.
* :class:`RetryPolicy`: per outcome, the delay before the next attempt and the most attempts; an
  outcome that is final (answered, an invalid number, do-not-call, unknown) is never retried.
  ``unknown`` (the service cannot tell whether the PBX dialled) is left to a person: never re-dialled.
* :func:`next_slot`: pacing, the earliest moment a campaign may dial again (calls per minute).

>>> policy = RetryPolicy.defaults()
>>> t = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
>>> policy.next_attempt("busy", attempts=1, ended_at=t).isoformat()
'2026-12-01T02:10:00+00:00'
>>> policy.next_attempt("busy", attempts=3, ended_at=t) is None  # the third was the last
True
>>> outcome_of_cause(17), outcome_of_cause(19), outcome_of_cause(34), outcome_of_cause(1)
('busy', 'no_answer', 'congestion', 'invalid_number')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

ANSWERED, NO_ANSWER, BUSY, CONGESTION, FAILED = "answered", "no_answer", "busy", "congestion", "failed"
NO_INPUT, INVALID_NUMBER, DO_NOT_CALL, UNKNOWN = "no_input", "invalid_number", "do_not_call", "unknown"
OUTCOMES = (ANSWERED, NO_ANSWER, BUSY, CONGESTION, FAILED, NO_INPUT, INVALID_NUMBER, DO_NOT_CALL, UNKNOWN)
FINAL = frozenset({ANSWERED, INVALID_NUMBER, DO_NOT_CALL, UNKNOWN})  # never retried
MAX_ATTEMPTS = 20
MAX_DELAY = dt.timedelta(days=7)

# Q.850 causes (Asterisk's causes.h) by what they mean for a campaign; any other cause: failed.
_CAUSES = {
    17: BUSY,  # user busy
    18: NO_ANSWER, 19: NO_ANSWER,  # no user responding, no answer
    21: BUSY,  # call rejected: the callee declined; tried again like a busy line
    1: INVALID_NUMBER, 3: INVALID_NUMBER, 22: INVALID_NUMBER, 28: INVALID_NUMBER,  # unallocated, no route, changed, bad format
    34: CONGESTION, 38: CONGESTION, 41: CONGESTION, 42: CONGESTION, 44: CONGESTION,  # no circuit, network out of order…
    58: CONGESTION,  # bearer capability not available
}


def outcome_of_cause(cause: int) -> str:
    """The outcome of an attempt the PBX could not connect, from the dialled leg's Hangup Cause (0: no
    channel was created, e.g. the trunk is down: failed)."""
    return _CAUSES.get(cause, FAILED)


class PolicyError(ValueError):
    """A retry rule that cannot be used; ``code`` names the problem for the form that made it."""

    def __init__(self, code: str, outcome: str) -> None:
        super().__init__(f"{code}: {outcome}")
        self.code = code
        self.outcome = outcome


@dataclass(frozen=True, slots=True)
class Retry:
    delay: dt.timedelta  # after the attempt ended
    max_attempts: int  # attempts in all, the first included


@dataclass(frozen=True)
class RetryPolicy:
    """Per retryable outcome, when to try again and how often in all."""

    rules: Mapping[str, Retry]

    def __post_init__(self) -> None:
        for outcome, rule in self.rules.items():
            if outcome not in OUTCOMES:
                raise PolicyError("unknown_outcome", outcome)
            if outcome in FINAL:
                raise PolicyError("final_outcome", outcome)
            if not 1 <= rule.max_attempts <= MAX_ATTEMPTS:
                raise PolicyError("bad_attempts", outcome)
            if not dt.timedelta(0) <= rule.delay <= MAX_DELAY:
                raise PolicyError("bad_delay", outcome)

    @classmethod
    def defaults(cls) -> RetryPolicy:
        """No answer three times half an hour apart, busy three times 10 minutes apart, congestion three
        times 5 minutes apart, a failure twice an hour apart, no input (a survey) twice 2 hours apart."""
        minutes = dt.timedelta(minutes=1)
        return cls({NO_ANSWER: Retry(30 * minutes, 3), BUSY: Retry(10 * minutes, 3),
                    CONGESTION: Retry(5 * minutes, 3), FAILED: Retry(60 * minutes, 2),
                    NO_INPUT: Retry(120 * minutes, 2)})

    def next_attempt(self, outcome: str, *, attempts: int, ended_at: dt.datetime) -> dt.datetime | None:
        """When to try a contact again after its ``attempts``-th attempt ended with ``outcome``; None
        when it is done (a final outcome, no rule for it, or its attempts used up). The calling window
        is applied afterwards (:meth:`cti.campaigns.window.Window.next_open`)."""
        if outcome in FINAL:
            return None
        rule = self.rules.get(outcome)
        if rule is None or attempts >= rule.max_attempts:
            return None
        return ended_at + rule.delay


def next_slot(last_dial: dt.datetime | None, per_minute: float, now: dt.datetime) -> dt.datetime:
    """Pacing: the earliest moment the campaign may place its next call (``per_minute`` calls a minute,
    evenly spread), never before ``now``.

    >>> t = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    >>> next_slot(t, 30, t).isoformat(), next_slot(None, 30, t) == t
    ('2026-12-01T02:00:02+00:00', True)
    """
    if per_minute <= 0:
        raise ValueError("per_minute must be above 0")
    if last_dial is None:
        return now
    return max(now, last_dial + dt.timedelta(seconds=60 / per_minute))
