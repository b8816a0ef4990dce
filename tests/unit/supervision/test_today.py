"""Today's counters as the wallboard keeps them: offered when a call joins, settled when it ends, the
after-call work added to the AHT, a new day at local midnight, a sliding window for a 24-hour centre."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cti.supervision.metrics import QueueCall, Thresholds
from cti.supervision.today import Today

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour, minute=0, second=0, day=1):
    return dt.datetime(2026, 12, day, hour, minute, second, tzinfo=SHANGHAI).timestamp()


def ended(offered, disposition, wait, talk=None, agent="", queue="support"):
    return QueueCall(dt.datetime.fromtimestamp(offered, dt.UTC), queue, disposition, wait=wait, talk=talk,
                     agent=agent)


def test_calls_are_offered_when_they_join_and_counted_when_they_end():
    today = Today(SHANGHAI)
    today.load([], at(9))
    today.offer("support", at(9, 0))
    today.offer("support", at(9, 1))
    assert today.queue("support").offered == 2 and today.queue("support").answered == 0
    today.settle(at(9, 0), ended(at(9, 0), "answered", 15, 120, agent="PJSIP/1001"))
    today.settle(at(9, 1), ended(at(9, 1), "abandoned", 40))
    f = today.queue("support")
    assert (f.offered, f.answered, f.abandoned, f.service_level, f.abandon_rate, f.asa) == (2, 1, 1, 1.0, 0.5, 15)
    mine = today.agent("PJSIP/1001")
    assert (mine.offered, mine.answered, mine.aht) == (0, 1, 120)


def test_after_call_work_counts_in_the_aht_of_the_queue_and_the_agent():
    today = Today(SHANGHAI)
    today.load([ended(at(10), "answered", 5, 100, agent="PJSIP/1001")], at(10, 5))
    assert today.queue("support").aht == 100
    assert today.wrapped("PJSIP/1001", "support", 30, at(10, 5)) == {"queue:support", "agent:PJSIP/1001"}
    assert today.queue("support").aht == 130 and today.agent("PJSIP/1001").aht == 130


def test_a_call_offered_before_midnight_counts_in_its_first_day_only():
    today = Today(SHANGHAI)
    today.load([], at(23, 50))
    today.offer("support", at(23, 59, 50))
    assert today.roll(at(0, 0, 5, day=2)) == {"queue:support"}  # a new day: empty
    assert today.queue("support").offered == 0
    assert today.settle(at(23, 59, 50), ended(at(23, 59, 50), "answered", 20, 60)) == set()
    assert today.queue("support").answered == 0  # it belongs to the 1st
    today.offer("support", at(0, 1, day=2))
    assert today.queue("support").offered == 1


def test_the_call_log_fills_the_day_and_yesterday_is_left_out():
    today = Today(SHANGHAI, thresholds=lambda q: Thresholds(service_level_seconds=10))
    calls = [ended(at(23, 0, day=1), "answered", 5, 60),  # the 1st, 23:00: yesterday for the 2nd
             ended(at(8, day=2), "answered", 5, 60), ended(at(8, 30, day=2), "answered", 15, 60),
             ended(at(9, day=2), "missed", 3)]  # a short abandon
    today.load(calls, at(10, day=2))
    f = today.queue("support")
    assert (f.offered, f.answered, f.short_abandoned, f.service_level) == (3, 2, 1, 0.5)


def test_a_sliding_window_drops_the_calls_that_fall_out_of_it():
    today = Today(SHANGHAI, window=dt.timedelta(hours=1))
    today.load([ended(at(9), "answered", 10, 60)], at(9, 30))
    today.offer("support", at(9, 45))
    today.settle(at(9, 45), ended(at(9, 45), "abandoned", 30))
    assert (today.queue("support").offered, today.queue("support").abandon_rate) == (2, 0.5)
    assert today.roll(at(10, 0, 1)) == {"queue:support"}  # 09:00 fell out
    f = today.queue("support")
    assert (f.offered, f.answered, f.abandoned, f.abandon_rate) == (1, 0, 1, 1.0)
    assert today.roll(at(10, 50)) == {"queue:support"}
    assert today.queue("support").offered == 0 and today.queue("support").abandon_rate is None
    assert today.queue("support").asa is None  # nothing to divide by: "—", never 0


def test_nothing_counts_for_a_call_without_a_queue():
    today = Today(SHANGHAI)
    today.load([], at(9))
    assert today.offer("", at(9)) == set()
    assert today.settle(at(9), ended(at(9), "answered", 0, 30, queue="")) == set()
    assert today.queues == {} and today.queue("support").offered == 0


@pytest.mark.parametrize("now", [at(0), at(12), at(23, 59, 59)])
def test_the_day_begins_at_local_midnight(now):
    assert Today(SHANGHAI).period_start(now) == at(0)
