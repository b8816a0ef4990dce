"""The reports' pure pieces with hand-checked numbers (docs/METRICS.md, "Reports"): the periods a query
names, a day's calls reduced to totals and summed back into figures (short abandons, transfers, a call
across midnight), a model without units sold, the promises of callbacks, and what the page shows for
a figure with nothing to divide by."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cti.http.report_pages import cell_text, cell_value, chart_data, script_json
from cti.supervision.metrics import QueueCall, day_of, figures
from cti.supervision.report_figures import (
    BROKEN, KEPT, LEFT_OUT, PENDING, CallTotals, ModelFigures, Period, PeriodError, Tally, call_totals,
    callback_outcome, figures_of, parse_period, sum_totals,
)
from cti.supervision.reports import REPORTS, Column
from cti.supervision.reports_callbacks import promised_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 12, 9)  # a Wednesday


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, second, tzinfo=SHANGHAI)


# -- periods --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "start", "end", "expected"), [
    ("", "", "", ("day", "2026-12-09", "2026-12-09")),  # nothing given: today
    ("day", "2026-12-01", "", ("day", "2026-12-01", "2026-12-01")),
    ("week", "2026-12-06", "", ("week", "2026-11-30", "2026-12-06")),  # a Sunday: the week that ends on it
    ("week", "", "", ("week", "2026-12-07", "2026-12-13")),
    ("month", "2028-02-14", "", ("month", "2028-02-01", "2028-02-29")),  # a leap year
    ("month", "2026-12-31", "2027-03-01", ("month", "2026-12-01", "2026-12-31")),  # "to" only for custom
    ("custom", "2026-11-15", "2026-12-14", ("custom", "2026-11-15", "2026-12-14")),
    ("custom", "2026-01-01", "2026-12-31", ("custom", "2026-01-01", "2026-12-31")),
])
def test_periods(kind, start, end, expected):
    p = parse_period(kind, start, end, today=TODAY)
    assert (p.kind, p.start.isoformat(), p.end.isoformat()) == expected


@pytest.mark.parametrize(("kind", "start", "end", "code"), [
    ("year", "", "", "period"),
    ("day", "2026-13-01", "", "from"),
    ("day", "2026-1-1", "", "from"),  # only YYYY-MM-DD
    ("day", "1900-01-01", "", "from"),
    ("custom", "2026-12-01", "", "custom_needs_both"),
    ("custom", "2026-12-01", "tomorrow", "to"),
    ("custom", "2026-12-02", "2026-12-01", "reversed"),
    ("custom", "2025-01-01", "2026-01-02", "too_long"),  # 367 days
])
def test_periods_refused(kind, start, end, code):
    with pytest.raises(PeriodError) as refused:
        parse_period(kind, start, end, today=TODAY)
    assert refused.value.code == code


def test_a_period_covers_its_local_days():
    start, end = Period("day", dt.date(2026, 12, 1), dt.date(2026, 12, 1)).bounds(SHANGHAI)
    assert (start.astimezone(dt.UTC), end.astimezone(dt.UTC)) == (dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC),
                                                                  dt.datetime(2026, 12, 1, 16, tzinfo=dt.UTC))


# -- calls -------------------------------------------------------------------------------------------------

def call(disposition, wait=None, talk=None, when=None, agent="PJSIP/1001"):
    return QueueCall(when or at(1, 10), "support", disposition, wait=wait, talk=talk, agent=agent)


def test_a_days_calls_as_totals_and_back():
    calls = [call("answered", 12, 200), call("transferred", 30, 100),  # a transfer was answered: it counts
             call("abandoned", 30), call("missed", 8),  # both counted abandons
             call("abandoned", 3),  # a short abandon: shown, left out of the rate
             call(None)]  # in progress: offered only
    totals = call_totals(calls)
    assert totals == CallTotals(offered=6, answered=2, abandoned=2, short_abandoned=1, answered_in_time=1,
                                wait_answered=42.0, handle_time=300.0)
    f = figures_of(totals)
    assert (f.service_level, f.abandon_rate, f.asa, f.aht) == (0.5, 0.5, 21.0, 150.0)


def test_days_summed_give_the_figures_of_the_whole_period():
    monday = [call("answered", 5, 60), call("abandoned", 40)]
    tuesday = [call("answered", 25, 120, when=at(2, 9)), call("answered", 15, 90, when=at(2, 9)), call("abandoned", 2)]
    whole = figures(monday + tuesday)
    summed = figures_of(sum_totals([call_totals(monday), call_totals(tuesday)]))
    assert (summed.offered, summed.answered, summed.abandoned, summed.short_abandoned) == (5, 3, 1, 1)
    for name in ("service_level", "abandon_rate", "asa", "aht"):
        assert getattr(summed, name) == pytest.approx(getattr(whole, name))
    assert (summed.service_level, summed.asa, summed.aht) == (pytest.approx(2 / 3), 15.0, 90.0)


def test_a_call_across_midnight_counts_on_its_first_day():
    late = call("answered", 50, 600, when=at(1, 23, 59, 30))  # answered after midnight, talked till 00:11
    assert day_of(late.offered_at, SHANGHAI) == dt.date(2026, 12, 1)
    start, end = Period("day", dt.date(2026, 12, 1), dt.date(2026, 12, 1)).bounds(SHANGHAI)
    assert start <= late.offered_at < end


def test_nothing_to_divide_by_is_none_not_zero():
    f = figures_of(call_totals([call("abandoned", 2), call(None)]))
    assert (f.offered, f.service_level, f.abandon_rate, f.asa, f.aht) == (2, None, None, None, None)


# -- product models -------------------------------------------------------------------------------------------

def test_complaint_and_fault_rates_per_unit_sold():
    sold = ModelFigures("冰箱 BCD-470", units=400, complaints=3, repairs=10)
    assert (sold.complaint_rate, sold.fault_rate) == (0.0075, 0.025)
    never_sold = ModelFigures("样机 X1", units=0, complaints=1, repairs=2)  # tickets, but no unit registered
    assert (never_sold.complaint_rate, never_sold.fault_rate) == (None, None)


def test_the_page_shows_a_dash_never_zero_percent():
    rate, pct = Column("complaint_rate", "rate"), Column("service_level", "pct")
    assert [cell_text("zh", rate, None), cell_text("en", pct, None)] == ["—", "—"]
    assert [cell_text("zh", rate, 0.0075), cell_text("zh", pct, 0.5), cell_text("zh", pct, 0.0)] == [
        "0.75%", "50.0%", "0.0%"]
    assert cell_text("en", Column("aht", "seconds"), 150.0) == "2:30"
    assert [cell_value("zh", rate, 0.0075), cell_value("zh", pct, None)] == [0.75, "—"]


def test_the_chart_leaves_a_gap_for_none_and_is_safe_in_a_script_element():
    rows = [{"name": "<script>x</script>", "units": 0, "complaints": 1, "complaint_rate": None, "repairs": 0,
             "fault_rate": None, "faults": ""},
            {"name": "A", "units": 200, "complaints": 1, "complaint_rate": 0.005, "repairs": 3, "fault_rate": 0.015,
             "faults": ""}]
    data = chart_data("en", REPORTS["models"], rows, "")
    assert data["series"][0] == {"name": "Complaint rate", "data": [None, 0.5]}
    assert (data["categories"], data["unit"]) == (["<script>x</script>", "A"], "%")
    assert "</script" not in script_json(data) and "\\u003c/script\\u003e" in script_json(data)


# -- promises ---------------------------------------------------------------------------------------------------

PROMISE = at(3, 12)


@pytest.mark.parametrize(("state", "changed", "now", "outcome"), [
    ("done", at(3, 11, 59), at(4, 9), KEPT),
    ("done", PROMISE, at(4, 9), KEPT),  # on the minute: kept
    ("done", at(3, 12, 1), at(4, 9), BROKEN),
    ("pending", at(3, 9), at(3, 11), PENDING),  # still in time
    ("pending", at(3, 9), at(3, 13), BROKEN),  # open after its promise
    ("exhausted", at(3, 10), at(3, 11), BROKEN),  # given up: never done
    ("cancelled", at(3, 10), at(4, 9), LEFT_OUT),  # the caller got through by themselves
    ("do_not_call", at(3, 10), at(4, 9), LEFT_OUT),
])
def test_callbacks_against_their_promise(state, changed, now, outcome):
    assert callback_outcome(state=state, changed_at=changed, promised_at=PROMISE, now=now) == outcome


def test_when_a_callback_was_promised():
    created = at(3, 10).astimezone(dt.UTC)
    assert promised_at("abandoned", created, {"queue": "support"}, 120) == at(3, 12)
    agent = {"scheduled_by": "agent1", "due": at(4, 15).astimezone(dt.UTC).isoformat()}
    assert promised_at("agent", created, agent, 30) == at(4, 15, 30)
    assert promised_at("agent", created, {"due": "garbage"}, 30) == at(3, 10, 30)  # scheduled before reports


def test_a_tally_with_nothing_decided_has_no_share():
    tally = Tally()
    tally.add(PENDING, 3)
    assert (tally.decided, tally.share) == (0, None)
    tally.add(KEPT, 3)
    tally.add(BROKEN)
    assert tally.share == 0.75
