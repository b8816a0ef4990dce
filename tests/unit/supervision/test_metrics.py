"""Each figure from call sets checked by hand (docs/METRICS.md): thresholds at their edges, short
abandons, transfers, calls across midnight, calls in progress, callbacks (outbound: not a queue's)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cti.supervision.metrics import QueueCall, Thresholds, by_day, csat, day_of, figures, in_window

SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE = dt.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)


def call(disposition, wait=None, talk=None, wrap=0.0, at=NINE, queue="support"):
    return QueueCall(at, queue, disposition, wait=wait, talk=talk, wrap=wrap)


def test_a_morning_of_ten_calls():
    calls = [call("answered", 5, 180, 20), call("answered", 20, 240, 30),  # 20 s: within the 20 s level
             call("answered", 21, 300), call("answered", 64, 120, 60),
             call("transferred", 8, 90),  # answered, then transferred: handled here
             call("abandoned", 40), call("missed", 75),  # both left unanswered
             call("abandoned", 4.9), call("abandoned", 5.0),  # below the 5 s threshold: left out; at it: counted
             call(None)]  # still waiting: offered, nothing else yet
    f = figures(calls)
    assert (f.offered, f.answered, f.abandoned, f.short_abandoned, f.answered_in_time) == (10, 5, 3, 1, 3)
    assert f.service_level == pytest.approx(3 / 5)
    assert f.abandon_rate == pytest.approx(3 / 8)
    assert f.asa == pytest.approx((5 + 20 + 21 + 64 + 8) / 5)  # 23.6 s
    assert f.aht == pytest.approx((200 + 270 + 300 + 180 + 90) / 5)  # 208 s
    assert f.longest_wait == 75


def test_the_thresholds_are_the_queues_own():
    calls = [call("answered", 15, 60), call("answered", 30, 60), call("abandoned", 8)]
    strict = figures(calls, Thresholds(service_level_seconds=10, short_abandon_seconds=10))
    assert (strict.service_level, strict.abandon_rate, strict.short_abandoned) == (0.0, 0.0, 1)
    loose = figures(calls, Thresholds(service_level_seconds=30, short_abandon_seconds=0))
    assert (loose.service_level, loose.abandon_rate) == (1.0, pytest.approx(1 / 3))


def test_no_calls_or_only_short_abandons_give_no_figure_rather_than_zero():
    assert figures([]) == figures([], Thresholds())
    empty = figures([])
    assert (empty.offered, empty.service_level, empty.abandon_rate, empty.asa, empty.aht) == (0, None, None, None, None)
    shorts = figures([call("abandoned", 2), call("missed", 1)])
    assert (shorts.offered, shorts.short_abandoned, shorts.abandon_rate, shorts.longest_wait) == (2, 2, None, None)


def test_a_call_across_midnight_belongs_to_the_day_it_was_offered():
    late = QueueCall(dt.datetime(2026, 12, 1, 23, 59, 30, tzinfo=SHANGHAI), "support", "answered", wait=50, talk=600)
    early = QueueCall(dt.datetime(2026, 12, 2, 0, 0, 10, tzinfo=SHANGHAI), "support", "abandoned", wait=20)
    assert day_of(late.offered_at, SHANGHAI) == dt.date(2026, 12, 1)  # answered and ended on the 2nd
    days = by_day([early, late], SHANGHAI)
    assert list(days) == [dt.date(2026, 12, 1), dt.date(2026, 12, 2)]
    assert (figures(days[dt.date(2026, 12, 1)]).answered, figures(days[dt.date(2026, 12, 2)]).abandoned) == (1, 1)
    utc = QueueCall(dt.datetime(2026, 12, 1, 16, 30, tzinfo=dt.UTC), "support", "answered", wait=1, talk=1)
    assert day_of(utc.offered_at, SHANGHAI) == dt.date(2026, 12, 2)  # 00:30 in Shanghai


def test_a_sliding_window_for_a_centre_open_all_night():
    now = dt.datetime(2026, 12, 2, 3, 0, tzinfo=SHANGHAI)
    calls = [call("answered", 10, 60, at=now - dt.timedelta(hours=h)) for h in (0, 1, 5, 24, 25)]
    assert len(in_window(calls, now, dt.timedelta(hours=24))) == 3  # now, 1 h and 5 h ago; 24 h ago exactly is out
    assert figures(in_window(calls, now, dt.timedelta(hours=2))).answered == 2


def test_csat_is_the_share_of_fours_and_fives_with_the_mean_beside_it():
    c = csat([5, 4, 4, 3, 1, 2, 5, 0, 9])  # 0 and 9 are not ratings (9 asks not to be called)
    assert (c.ratings, c.satisfied) == (7, 4)
    assert c.share == pytest.approx(4 / 7) and c.mean == pytest.approx(24 / 7)
    assert csat([]).share is None and csat([]).mean is None
