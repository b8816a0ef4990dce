"""A campaign's settings as a supervisor types them: every refusal names its field and its code (the
message the form shows), nothing half-read; good input becomes the row's values, the window in the
JSON the dialer reads, the retries in the shape ``claims.policy_of`` reads."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cti.campaigns import claims
from cti.campaigns.forms import DEFAULTS, CampaignError, default_context, form_of, parse
from cti.campaigns.models import Campaign
from cti.campaigns.policy import Retry

SHANGHAI = ZoneInfo("Asia/Shanghai")


def form(**changes: str) -> dict[str, str]:
    return {**DEFAULTS, "name": "十二月回访", **changes}


def refused(**changes: str) -> dict[str, tuple[str, dict]]:
    """The problems of a form as {field: (code, params)}."""
    with pytest.raises(CampaignError) as caught:
        parse(form(**changes), zone=SHANGHAI)
    return {p.field: (p.code, p.params) for p in caught.value.problems}


def test_the_defaults_make_a_survey_calling_every_day_from_nine_to_eight_with_the_default_retries():
    values = parse(form(), zone=SHANGHAI)
    assert (values.kind, values.mode, values.context, values.dial) == (
        "survey", "progressive", "hotline-survey", "PJSIP/{number}@carrier")
    assert values.window == {str(d): [["09:00", "20:00"]] for d in range(7)}
    assert values.retry == {"no_answer": [1800.0, 3], "busy": [600.0, 3], "congestion": [300.0, 3],
                            "failed": [3600.0, 2], "no_input": [7200.0, 2]}
    assert (values.max_concurrent, values.per_minute, values.allow_holidays) == (5, 30.0, False)


def test_the_retries_are_read_by_the_claims_as_typed_in_minutes():
    values = parse(form(retry_busy_delay="2.5", retry_busy_attempts="4"), zone=SHANGHAI)
    policy = claims.policy_of(Campaign(retry=values.retry))
    assert policy.rules["busy"] == Retry(dt.timedelta(minutes=2.5), 4)


@pytest.mark.parametrize(("kind", "mode", "context"), [
    ("callback", "progressive", "hotline-callback"), ("survey", "progressive", "hotline-survey"),
    ("notification", "progressive", "hotline-notify"), ("list", "progressive", "hotline-callback"),
    ("survey", "preview", "hotline-dial"),
])
def test_a_blank_context_is_the_kinds_own(kind, mode, context):
    assert parse(form(kind=kind, mode=mode), zone=SHANGHAI).context == context
    assert default_context(kind, mode) == context


def test_a_typed_context_is_kept():
    assert parse(form(context="survey"), zone=SHANGHAI).context == "survey"


@pytest.mark.parametrize(("changes", "field", "code"), [
    ({"name": "  "}, "name", "required"),
    ({"name": "回" * 101}, "name", "too_long"),
    ({"kind": "robocall"}, "kind", "bad_choice"),
    ({"mode": "predictive"}, "mode", "bad_choice"),
    ({"caller_id": "Customer Care 4008001234"}, "caller_id", "bad_caller_id"),
    ({"caller_id": '"Care" <4008001234>\r\nAction: Hangup'}, "caller_id", "bad_caller_id"),
    ({"dial": "PJSIP/13800138000@carrier"}, "dial", "dial_needs_number"),
    ({"dial": "PJSIP/{number}@carrier,30"}, "dial", "bad_dial"),
    ({"dial": "PJSIP/{nummer}@carrier"}, "dial", "bad_dial"),
    ({"context": "hotline survey"}, "context", "bad_context"),
    ({"queue": "support;evil"}, "queue", "bad_queue"),
    ({"max_concurrent": "0"}, "max_concurrent", "bad_concurrency"),
    ({"max_concurrent": "501"}, "max_concurrent", "bad_concurrency"),
    ({"max_concurrent": "2.5"}, "max_concurrent", "bad_concurrency"),
    ({"per_minute": "0"}, "per_minute", "bad_pacing"),
    ({"per_minute": "-5"}, "per_minute", "bad_pacing"),
    ({"per_minute": "601"}, "per_minute", "bad_pacing"),
    ({"per_minute": "fast"}, "per_minute", "bad_pacing"),
    ({"retry_busy_delay": "-10"}, "retry_busy_delay", "bad_delay"),
    ({"retry_no_answer_delay": "10081"}, "retry_no_answer_delay", "bad_delay"),
    ({"retry_failed_attempts": "0"}, "retry_failed_attempts", "bad_attempts"),
    ({"retry_no_input_attempts": "21"}, "retry_no_input_attempts", "bad_attempts"),
    ({"starts_at": "2026-13-01T09:00"}, "starts_at", "bad_datetime"),
    ({"ends_at": "tomorrow"}, "ends_at", "bad_datetime"),
    ({"starts_at": "2026-12-10T09:00", "ends_at": "2026-12-10T09:00"}, "ends_at", "ends_before_start"),
])
def test_each_wrong_field_is_named_with_its_code(changes, field, code):
    assert refused(**changes)[field][0] == code


def test_every_wrong_field_is_named_at_once():
    problems = refused(name="", per_minute="-1", max_concurrent="9999", w2_0_to="25:00")
    assert {f: c for f, (c, _) in problems.items()} == {
        "name": "required", "per_minute": "bad_pacing", "max_concurrent": "bad_concurrency"}  # w2 is "same as Monday"
    problems = refused(name="", w2_same="", w2_0_to="25:00")
    assert problems["w2"] == ("bad_time", {"time": "25:00"})


@pytest.mark.parametrize(("slots", "code"), [
    ({"w3_0_from": "9:00", "w3_0_to": ""}, "incomplete_span"),
    ({"w3_0_from": "", "w3_0_to": "12:00"}, "incomplete_span"),
    ({"w3_0_from": "9点", "w3_0_to": "12:00"}, "bad_time"),
    ({"w3_0_from": "09:00", "w3_0_to": "12:60"}, "bad_time"),
    ({"w3_0_from": "24:00", "w3_0_to": "24:00"}, "bad_time"),  # 24:00 ends a day, never starts one
    ({"w3_0_from": "20:00", "w3_0_to": "09:00"}, "end_before_start"),
    ({"w3_0_from": "09:00", "w3_0_to": "09:00"}, "end_before_start"),
    ({"w3_0_from": "09:00", "w3_0_to": "13:00", "w3_1_from": "12:00", "w3_1_to": "18:00"}, "overlap"),
])
def test_a_weekday_typed_wrong_is_refused_under_its_row(slots, code):
    assert refused(w3_same="", **slots)["w3"][0] == code


def test_a_window_that_never_opens_is_refused():
    closed = {f"w{d}_{i}_{end}": "" for d in range(7) for i in range(3) for end in ("from", "to")}
    assert refused(**closed)["window"][0] == "never_open"


def test_intervals_are_sorted_touching_is_allowed_and_24_00_ends_a_day():
    values = parse(form(w0_0_from="１３：００", w0_0_to="24:00", w0_1_from="8:00", w0_1_to="13:00",
                        w6_same="", w6_0_from="", w6_0_to=""), zone=SHANGHAI)
    assert values.window["0"] == [["08:00", "13:00"], ["13:00", "24:00"]]
    assert values.window["5"] == values.window["0"] and "6" not in values.window  # Sunday: not called


def test_start_and_end_are_local_times_kept_in_utc():
    values = parse(form(starts_at="2026-12-10T09:00", ends_at="2026-12-20 18:30"), zone=SHANGHAI)
    assert values.starts_at == dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC)
    assert values.ends_at == dt.datetime(2026, 12, 20, 10, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("caller_id", ['"Customer Care" <4008001234>', "客服中心 <4008001234>", "4008001234",
                                       "+8675512345678", ""])
def test_usual_caller_ids_are_accepted(caller_id):
    assert parse(form(caller_id=caller_id), zone=SHANGHAI).caller_id == caller_id


def test_a_stored_campaign_comes_back_into_the_form_as_it_was_typed():
    typed = form(kind="notification", caller_id='"Care" <4008001234>', context="hotline-notify", queue="support",
                 allow_holidays="1", max_concurrent="12", per_minute="0.5", starts_at="2026-12-10T09:00",
                 ends_at="2026-12-20T18:30", w5_same="", w5_0_from="10:00", w5_0_to="12:00", w5_1_from="14:00",
                 w5_1_to="24:00", retry_busy_delay="2.5", retry_busy_attempts="4")
    values = parse(typed, zone=SHANGHAI)
    shown = form_of(values, SHANGHAI)
    assert parse(shown, zone=SHANGHAI) == values
    assert (shown["w1_same"], shown["w5_same"], shown["w5_1_to"], shown["retry_busy_delay"]) == ("1", "", "24:00", "2.5")
