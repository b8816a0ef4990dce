"""The work list's sections: on site now, today (overdue too), upcoming, waiting for parts or review."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from cti.dispatch.queries import group_of

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 12, 2)


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("state", "start", "group"),
    [
        ("on_site", at(1, 9), "on_site"),  # checked in: first, whatever the window said
        ("dispatched", at(2, 14), "today"),
        ("dispatched", at(1, 9), "today"),  # overdue: still today's work
        ("dispatched", at(3, 9), "upcoming"),
        ("dispatched", None, "waiting"),
        ("awaiting_parts", at(2, 9), "waiting"),
        ("completed", at(2, 9), "waiting"),
    ],
)
def test_a_job_is_in_the_section_its_state_and_window_say(state, start, group):
    assert group_of({"state": state, "start": start}, TODAY) == group
