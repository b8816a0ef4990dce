"""What an attempt's end means and when the contact is tried again: the PBX's causes as recorded in
sip_originate_failed.ami (17 busy, 34 congested, 19 no answer, 21 rejected, 1 unallocated, 0 no
channel), retries per outcome, final outcomes never retried, pacing."""

from __future__ import annotations

import datetime as dt

import pytest

from cti.campaigns.policy import (
    FINAL,
    OUTCOMES,
    PolicyError,
    Retry,
    RetryPolicy,
    next_slot,
    outcome_of_cause,
)

T = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


@pytest.mark.parametrize(("cause", "outcome"), [
    (17, "busy"), (34, "congestion"), (19, "no_answer"), (21, "busy"), (1, "invalid_number"), (0, "failed"),
    (18, "no_answer"), (28, "invalid_number"), (38, "congestion"), (16, "failed"), (127, "failed"),
])
def test_the_pbxs_cause_of_the_dialled_leg_is_the_outcome(cause, outcome):
    assert outcome_of_cause(cause) == outcome


def test_each_retryable_outcome_is_tried_again_after_its_delay_until_its_attempts_are_used():
    policy = RetryPolicy.defaults()
    assert policy.next_attempt("no_answer", attempts=1, ended_at=T) == T + 30 * MINUTE
    assert policy.next_attempt("no_answer", attempts=2, ended_at=T) == T + 30 * MINUTE
    assert policy.next_attempt("no_answer", attempts=3, ended_at=T) is None
    assert policy.next_attempt("busy", attempts=1, ended_at=T) == T + 10 * MINUTE
    assert policy.next_attempt("congestion", attempts=2, ended_at=T) == T + 5 * MINUTE
    assert policy.next_attempt("failed", attempts=1, ended_at=T) == T + 60 * MINUTE
    assert policy.next_attempt("failed", attempts=2, ended_at=T) is None
    assert policy.next_attempt("no_input", attempts=1, ended_at=T) == T + 120 * MINUTE


@pytest.mark.parametrize("outcome", sorted(FINAL))
def test_a_final_outcome_is_never_tried_again(outcome):
    assert RetryPolicy.defaults().next_attempt(outcome, attempts=1, ended_at=T) is None


def test_an_outcome_without_a_rule_is_not_retried():
    only_busy = RetryPolicy({"busy": Retry(MINUTE, 5)})
    assert only_busy.next_attempt("no_answer", attempts=1, ended_at=T) is None
    assert only_busy.next_attempt("busy", attempts=4, ended_at=T) == T + MINUTE


@pytest.mark.parametrize(("rules", "code"), [
    ({"answered": Retry(MINUTE, 2)}, "final_outcome"),
    ({"unknown": Retry(MINUTE, 2)}, "final_outcome"),  # an unknown attempt is a person's decision
    ({"ringing": Retry(MINUTE, 2)}, "unknown_outcome"),
    ({"busy": Retry(MINUTE, 0)}, "bad_attempts"),
    ({"busy": Retry(MINUTE, 21)}, "bad_attempts"),
    ({"busy": Retry(-MINUTE, 2)}, "bad_delay"),
    ({"busy": Retry(dt.timedelta(days=8), 2)}, "bad_delay"),
])
def test_a_rule_that_cannot_work_is_refused_with_its_reason(rules, code):
    with pytest.raises(PolicyError) as refused:
        RetryPolicy(rules)
    assert refused.value.code == code


def test_every_outcome_is_named_once():
    assert len(set(OUTCOMES)) == len(OUTCOMES) and FINAL <= set(OUTCOMES)


def test_pacing_spreads_the_calls_evenly_and_never_dials_in_the_past():
    assert next_slot(None, 12, T) == T  # nothing dialled yet: now
    assert next_slot(T, 12, T) == T + dt.timedelta(seconds=5)  # 12 a minute: one each 5 s
    assert next_slot(T - dt.timedelta(minutes=1), 12, T) == T  # long ago: now, not a burst to catch up
    assert next_slot(T, 0.5, T) == T + 2 * MINUTE
    with pytest.raises(ValueError):
        next_slot(T, 0, T)
    with pytest.raises(ValueError):
        next_slot(T, -3, T)
