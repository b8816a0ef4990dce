"""Percentiles for the benchmark's reports (nearest rank on sorted values; no interpolation)."""

from __future__ import annotations

from collections.abc import Iterable


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile of already sorted ``values`` (nan when empty).

    >>> pct([1.0, 2.0, 3.0, 4.0], 50), pct([1.0, 2.0, 3.0, 4.0], 99), pct([], 50)
    (3.0, 4.0, nan)
    """
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def spread(values: Iterable[float], scale: float = 1.0) -> dict[str, float]:
    """``{"p50", "p99", "max"}`` of ``values`` times ``scale`` (1000: seconds → ms).

    >>> spread([0.004, 0.001, 0.002], scale=1000)
    {'p50': 2.0, 'p99': 4.0, 'max': 4.0}
    """
    ordered = sorted(v * scale for v in values)
    return {"p50": pct(ordered, 50), "p99": pct(ordered, 99), "max": ordered[-1] if ordered else float("nan")}
