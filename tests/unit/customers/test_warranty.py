"""Warranty status as the pop shows it: in warranty, expires within 30 days, expired."""

import datetime as dt

import pytest

from cti.customers.warranty import add_months, warranty

D = dt.date


@pytest.mark.parametrize(
    ("purchased", "months", "today", "status", "ends", "days_left"),
    [
        (D(2025, 6, 1), 24, D(2026, 11, 27), "in_warranty", D(2027, 6, 1), 186),
        (D(2025, 12, 27), 12, D(2026, 11, 27), "expiring", D(2026, 12, 27), 30),  # exactly 30 days left
        (D(2025, 12, 28), 12, D(2026, 11, 27), "in_warranty", D(2026, 12, 28), 31),
        (D(2024, 11, 27), 24, D(2026, 11, 27), "expiring", D(2026, 11, 27), 0),  # last covered day
        (D(2024, 11, 26), 24, D(2026, 11, 27), "expired", D(2026, 11, 26), -1),
        (D(2020, 1, 1), 36, D(2026, 11, 27), "expired", D(2023, 1, 1), -1426),
        (D(2026, 11, 27), 0, D(2026, 11, 27), "expiring", D(2026, 11, 27), 0),  # no warranty: ends at purchase
    ],
)
def test_status_from_purchase_date_and_term(purchased, months, today, status, ends, days_left):
    w = warranty(purchased, months, today=today)
    assert (w.status, w.ends, w.days_left) == (status, ends, days_left)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2025, 11, 15), 2, D(2026, 1, 15)),  # across the year end
        (D(2025, 3, 31), -1, D(2025, 2, 28)),
        (D(2025, 5, 10), 120, D(2035, 5, 10)),
    ],
)
def test_adding_months_clamps_to_the_end_of_the_month(day, months, expected):
    assert add_months(day, months) == expected


def test_a_negative_term_counts_as_none():
    assert warranty(D(2026, 1, 1), -5, today=D(2026, 1, 2)).status == "expired"
