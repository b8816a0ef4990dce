"""Appointment windows (local times in, UTC out, within limits), amounts, parts lines, and who pays."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from cti.dispatch.rules import DispatchError, PartLine, appointment, charges, check_window, money, part_line, quantity

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Shanghai


def refused(fn, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(DispatchError) as caught:
        fn(*args, **kwargs)
    return caught.value.code, caught.value.field


# --- appointments ---------------------------------------------------------------------------------


def test_a_local_window_is_stored_in_utc():
    start, end = appointment("2026-12-02", "09:00", "12:00", zone=SHANGHAI, now=NOW)
    assert start == dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 12, 2, 4, 0, tzinfo=dt.UTC)


def test_the_window_under_way_may_be_given_out():
    """Dispatched at 10:00 for 09:30–12:00 today: the engineer is on the way."""
    start, _ = appointment("2026-12-01", "09:30", "12:00", zone=SHANGHAI, now=NOW)
    assert start == NOW - dt.timedelta(minutes=30)


@pytest.mark.parametrize(
    ("day", "start", "end", "code", "field"),
    [
        ("2026-12-02", "12:00", "09:00", "window_order", "end"),
        ("2026-12-02", "09:00", "09:00", "window_order", "end"),
        ("2026-12-01", "08:00", "09:30", "window_past", "start"),  # started two hours ago
        ("2026-11-30", "14:00", "16:00", "window_past", "start"),
        ("2026-12-16", "09:00", "12:00", "window_too_far", "day"),  # 15 days ahead
        ("2026-12-02", "07:00", "20:00", "window_too_long", "end"),  # 13 hours
        ("2026-12-2", "09:00", "12:00", "bad_day", "day"),
        ("2026-02-30", "09:00", "12:00", "bad_day", "day"),
        ("", "09:00", "12:00", "bad_day", "day"),
        ("2026-12-02", "9", "12:00", "bad_time", "start"),
        ("2026-12-02", "09:00", "24:00", "bad_time", "end"),
        ("2026-12-02", "09:60", "12:00", "bad_time", "start"),
    ],
)
def test_bad_windows_are_refused_naming_the_field(day, start, end, code, field):
    assert refused(appointment, day, start, end, zone=SHANGHAI, now=NOW) == (code, field)


def test_the_limits_are_inclusive():
    check_window(NOW - dt.timedelta(hours=1), NOW, NOW)  # an hour ago: still the window under way
    check_window(NOW + dt.timedelta(days=14), NOW + dt.timedelta(days=14, hours=12), NOW)


def test_the_too_far_message_names_the_limit():
    with pytest.raises(DispatchError) as caught:
        appointment("2026-12-20", "09:00", "12:00", zone=SHANGHAI, now=NOW)
    assert caught.value.params == {"days": 14}


# --- amounts and parts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("", "0.00"), ("  ", "0.00"), ("80", "80.00"), ("35.5", "35.50"), ("¥1,200.00", "1200.00"), ("￥0.01", "0.01")],
)
def test_amounts_as_typed(text, value):
    assert money(text) == Decimal(value)


@pytest.mark.parametrize(("text", "code"), [("-5", "bad_money"), ("1.234", "bad_money"), ("abc", "bad_money"),
                                            ("1e3", "bad_money"), ("100000.01", "money_too_big")])
def test_bad_amounts_are_refused(text, code):
    assert refused(money, text, "labour") == (code, "labour")


def test_quantities_are_whole_numbers_from_one_to_999():
    assert quantity("3") == 3
    for bad in ("0", "-1", "1.5", "1000", "", "两"):
        assert refused(quantity, bad, "part_0") == ("bad_quantity", "part_0")


def test_a_parts_row():
    assert part_line(" 压缩机 电容 ", "2", "35.5", row=0) == PartLine("压缩机 电容", 2, Decimal("35.50"))
    assert part_line("密封圈", "", "", row=1) == PartLine("密封圈", 1, Decimal("0.00"))  # one, free
    assert part_line("", "", "", row=2) is None  # an empty row is no part
    assert refused(part_line, "", "2", "", row=3) == ("part_name_missing", "part_3")
    assert refused(part_line, "电容", "0", "", row=4) == ("bad_quantity", "part_4")
    assert refused(part_line, "长" * 121, "1", "", row=5) == ("part_name_too_long", "part_5")


# --- who pays -------------------------------------------------------------------------------------


def test_out_of_warranty_work_is_charged_labour_and_parts():
    parts = [PartLine("压缩机电容", 2, Decimal("35.50")), PartLine("冷媒", 1, Decimal("120"))]
    assert charges("out", Decimal("80"), parts) == (Decimal("80.00"), Decimal("191.00"))


@pytest.mark.parametrize("warranty", ["in", "none"])
def test_in_warranty_work_is_free(warranty):
    assert charges(warranty, Decimal("0"), [PartLine("电容", 2, Decimal("0"))]) == (Decimal("0.00"), Decimal("0.00"))
    assert refused(charges, warranty, Decimal("80"), []) == ("charges_in_warranty", "charges")
    assert refused(charges, warranty, Decimal("0"), [PartLine("电容", 1, Decimal("35"))]) == (
        "charges_in_warranty", "charges")


def test_at_most_twenty_parts():
    parts = [PartLine(f"件{i}", 1, Decimal("1")) for i in range(21)]
    assert refused(charges, "out", Decimal("0"), parts) == ("too_many_parts", "parts")
