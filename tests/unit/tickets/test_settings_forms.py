"""The settings forms, read and refused (pure): working hours typed per weekday become the calendar row's
JSON, and the SLA policy, calendar, extra-day and queue-rule forms become the values a row keeps or
name every problem. Every refusal has a sentence in both catalogs."""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cti.tickets.calendar import END_OF_DAY
from cti.tickets.settings_forms import (
    SettingsError, hours_text, intervals, parse_calendar, parse_day, parse_hours, parse_policy, parse_queue_rule,
)

ROOT = Path(__file__).resolve().parents[3]
ZONE = "Asia/Shanghai"
CALENDARS = ("business", "24x7")
POLICY = {"service_type": "repair", "priority": "*", "first_contact": "8", "on_site": "", "resolution": "72",
          "at_risk": "", "pause": "1", "calendar": "business"}


def problems(error: SettingsError) -> dict[str, tuple[str, dict]]:
    return {p.field: (p.code, p.params) for p in error.problems}


# --- working hours ----------------------------------------------------------------------------------


def test_several_intervals_a_day_sorted_into_the_rows_json():
    assert parse_hours({0: "13:30-18:00, 09:00-12:00", 2: "9:00-12:00", 4: "", 6: "   "}) == {
        "0": [["09:00", "12:00"], ["13:30", "18:00"]], "2": [["09:00", "12:00"]]}


@pytest.mark.parametrize("typed", [
    "09:00-12:00,13:30-18:00", "09:00 - 12:00 , 13:30 - 18:00", "09:00-12:00；13:30-18:00", "09:00~12:00、13:30～18:00",
    "０９：００－１２：００，１３：３０—１８：００", "09:00至12:00 13:30到18:00", "9:00–12:00 13:30–18:00",
])
def test_the_ways_people_type_hours(typed):
    assert parse_hours({1: typed}) == {"1": [["09:00", "12:00"], ["13:30", "18:00"]]}


def test_a_day_may_run_to_midnight_and_intervals_may_touch():
    assert parse_hours({5: "00:00-12:00, 12:00-24:00"}) == {"5": [["00:00", "12:00"], ["12:00", "24:00"]]}
    assert intervals({"5": [["12:00", "24:00"]]}) == {5: [(dt.time(12), END_OF_DAY)]}


@pytest.mark.parametrize(("typed", "code", "params"), [
    ("13:00-12:00", "end_before_start", {"span": "13:00-12:00"}),
    ("09:00-09:00", "end_before_start", {"span": "09:00-09:00"}),
    ("09:00-12:00, 11:30-13:00", "overlap", {"first": "09:00-12:00", "second": "11:30-13:00"}),
    ("13:00-18:00, 09:00-13:30", "overlap", {"first": "09:00-13:30", "second": "13:00-18:00"}),
    ("9-18", "bad_span", {"span": "9-18"}),
    ("09:00", "bad_span", {"span": "09:00"}),
    ("25:00-26:00", "bad_span", {"span": "25:00-26:00"}),
    ("09:60-10:00", "bad_span", {"span": "09:60-10:00"}),
    ("24:00-10:00", "bad_span", {"span": "24:00-10:00"}),
    ("上午9点到下午6点", "bad_span", {"span": "上午9点到下午6点"}),
    (", ".join(f"{h:02d}:00-{h:02d}:30" for h in range(8, 15)), "too_many_spans", {"max": 6}),
])
def test_wrong_hours_are_refused_naming_the_weekday(typed, code, params):
    with pytest.raises(SettingsError) as refused:
        parse_hours({3: typed, 0: "09:00-18:00"})
    assert problems(refused.value) == {"h3": (code, params)}


def test_every_wrong_weekday_is_named_at_once():
    with pytest.raises(SettingsError) as refused:
        parse_hours({0: "13:00-12:00", 1: "09:00-18:00", 5: "x"})
    assert set(problems(refused.value)) == {"h0", "h5"}


_minutes = st.integers(0, 24 * 60)


@given(st.lists(st.tuples(_minutes, _minutes).filter(lambda p: p[0] < p[1]), max_size=6))
def test_parsed_hours_are_what_the_calendar_takes_and_show_as_typed(pairs):
    """Whatever is accepted is sorted and disjoint (BusinessCalendar accepts it), and shows again as it is read."""
    def clock(m: int) -> str:
        return f"{m // 60:02d}:{m % 60:02d}"

    typed = ", ".join(f"{clock(a)}-{clock(b)}" for a, b in pairs if a < 24 * 60)
    try:
        hours = parse_hours({2: typed})
    except SettingsError as refused:
        assert refused.code in ("overlap", "bad_span")  # 24:00 as a start is no time
        return
    spans = hours.get("2", [])
    assert spans == sorted(spans)
    assert all(b <= c for (_, b), (c, _) in zip(spans, spans[1:], strict=False))
    assert parse_hours({2: hours_text(hours, 2)}) == hours


# --- policies ---------------------------------------------------------------------------------------


def test_a_policy_form_becomes_a_row():
    values = parse_policy(POLICY, CALENDARS)
    assert values.columns() == {"service_type": "repair", "priority": "*", "first_contact_hours": 8.0,
                                "on_site_hours": None, "resolution_hours": 72.0, "at_risk_ratio": 0.8,
                                "pause_while_waiting": True, "calendar": "business"}
    changed = parse_policy(POLICY | {"at_risk": "75.5", "pause": "", "first_contact": "０.５"}, CALENDARS)  # full-width
    assert changed.columns() == values.columns() | {"at_risk_ratio": 0.755, "pause_while_waiting": False,
                                                    "first_contact_hours": 0.5}


def test_a_policy_form_names_every_problem():
    with pytest.raises(SettingsError) as refused:
        parse_policy(POLICY | {"at_risk": "150", "calendar": "夜班", "first_contact": "0", "on_site": "1e3",
                               "priority": "whenever"}, CALENDARS)
    assert problems(refused.value) == {
        "priority": ("bad_choice", {}), "first_contact": ("bad_hours", {"max": "8760"}),
        "on_site": ("bad_hours", {"max": "8760"}), "at_risk": ("bad_ratio", {"max": "99.99"}),
        "calendar": ("unknown_calendar", {"name": "夜班"})}


@pytest.mark.parametrize("ratio", ["0", "100", "1.5e2", "-5", "abc"])
def test_the_at_risk_point_is_a_percentage_below_100(ratio):
    with pytest.raises(SettingsError) as refused:
        parse_policy(POLICY | {"at_risk": ratio}, CALENDARS)
    assert refused.value.field == "at_risk" and refused.value.code == "bad_ratio"


def test_enquiries_and_praise_promise_nothing():
    for kind in ("enquiry", "praise"):
        with pytest.raises(SettingsError) as refused:
            parse_policy(POLICY | {"service_type": kind}, CALENDARS)
        assert refused.value.code == "no_clocks"


# --- calendars, days, queue rules -------------------------------------------------------------------


def test_a_calendar_form():
    form = {"always_open": "", "china_holidays": "1", "h0": "09:00-12:00, 13:30-18:00", "h5": "09:00-12:00"}
    values = parse_calendar(form, "售后", ZONE)
    assert (values.name, values.always_open, values.china_holidays) == ("售后", False, True)
    assert values.hours == {"0": [["09:00", "12:00"], ["13:30", "18:00"]], "5": [["09:00", "12:00"]]}
    assert parse_calendar({"always_open": "1", "china_holidays": "1"}, "night", ZONE).china_holidays is False
    with pytest.raises(SettingsError) as refused:
        parse_calendar({"china_holidays": "1"}, "empty", ZONE)
    assert refused.value.code == "no_hours"


@pytest.mark.parametrize(("form", "field", "code"), [
    ({"day": "", "working": "0"}, "day", "required"),
    ({"day": "2026-02-30", "working": "0"}, "day", "bad_day"),
    ({"day": "1999-12-31", "working": "0"}, "day", "bad_day"),
    ({"day": "2026/12/01", "working": "0"}, "day", "bad_day"),
    ({"day": "2026-12-01", "working": "maybe"}, "working", "bad_choice"),
    ({"day": "2026-12-01", "working": "1", "note": "x" * 201}, "note", "too_long"),
])
def test_an_extra_day_form_refused(form, field, code):
    with pytest.raises(SettingsError) as refused:
        parse_day(form)
    assert (refused.value.field, refused.value.code) == (field, code)


def test_an_extra_day_form():
    day = parse_day({"day": " 2026-12-01 ", "working": "1", "note": " 盘点 "})
    assert (day.day, day.working, day.note) == (dt.date(2026, 12, 1), True, "盘点")


def test_a_queue_rule_form():
    rule = parse_queue_rule({"queue": " support ", "service_type": "enquiry", "service_mode": "on_site", "active": "1"})
    assert rule.columns() == {"queue": "support", "service_type": "enquiry", "service_mode": None, "active": True}
    for form, code in (({"queue": "", "service_type": "repair", "service_mode": "on_site"}, "required"),
                       ({"queue": "a b", "service_type": "repair", "service_mode": "on_site"}, "bad_queue"),
                       ({"queue": "q", "service_type": "repair", "service_mode": ""}, "mode_needed"),
                       ({"queue": "q", "service_type": "sales"}, "bad_choice")):
        with pytest.raises(SettingsError) as refused:
            parse_queue_rule(form)
        assert refused.value.code == code


# --- the catalogs -----------------------------------------------------------------------------------


def raised_codes() -> set[str]:
    """Every refusal code the settings raise (``SettingsError("code"``, ``problems.add(field, "code"``, ``code="…"``)."""
    codes: set[str] = set()
    for name in ("settings_forms", "settings_service", "calendar_service"):
        source = (ROOT / "cti" / "tickets" / f"{name}.py").read_text(encoding="utf-8")
        codes.update(re.findall(r'(?:SettingsError\(|\.add\([^,()]+, |code=)"([a-z_]+)"', source))
    return codes


PARAMS = {"max", "span", "first", "second", "name", "policies", "day", "detail"}  # the values refusals carry


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_refusal_has_a_sentence(lang):
    catalog = json.loads((ROOT / "web" / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    codes = raised_codes()
    assert {"end_before_start", "overlap", "bad_ratio", "bad_hours", "unknown_calendar", "calendar_in_use"} <= codes
    for code in codes:
        text = catalog[f"settings.error.{code}"]
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        assert text.strip() and names <= PARAMS, (lang, code, names)
