"""What a queue's figures are held against, and the colour each figure takes (green / amber / red).

Pure. A queue's :class:`Targets` hold its measuring thresholds (the service level's wait, the short
abandons) and, per figure, the two limits where it turns amber and red. For figures where more is
better (service level) the limits are floors; for the others (abandon rate, waits, calls waiting)
ceilings: a value at a limit has crossed it.

>>> t = Targets()
>>> [grade(t, "service_level", v) for v in (0.95, 0.8, 0.79, 0.59, None)]
['ok', 'ok', 'warn', 'bad', 'none']
>>> [grade(t, "longest_wait", v) for v in (10, 30, 60)]
['ok', 'warn', 'bad']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cti.supervision.metrics import Thresholds

HIGHER_IS_BETTER = frozenset({"service_level", "csat"})


@dataclass(frozen=True, slots=True)
class Targets:
    thresholds: Thresholds = field(default_factory=Thresholds)
    service_level: tuple[float, float] = (0.80, 0.60)  # amber below 80 %, red below 60 %
    abandon_rate: tuple[float, float] = (0.05, 0.10)  # amber from 5 %, red from 10 %
    longest_wait: tuple[float, float] = (30.0, 60.0)  # seconds the longest-waiting caller has waited
    waiting: tuple[float, float] = (3, 6)  # calls waiting
    asa: tuple[float, float] = (20.0, 40.0)  # seconds
    csat: tuple[float, float] = (0.85, 0.70)  # share of ratings 4-5


GRADED = ("service_level", "abandon_rate", "longest_wait", "waiting", "asa", "csat")


def grade(targets: Targets, figure: str, value: float | None) -> str:
    """``ok``, ``warn`` (amber) or ``bad`` (red) for ``value`` of ``figure``; ``none`` without a value."""
    if value is None:
        return "none"
    amber, red = getattr(targets, figure)
    if figure in HIGHER_IS_BETTER:
        return "bad" if value < red else "warn" if value < amber else "ok"
    return "bad" if value >= red else "warn" if value >= amber else "ok"


def grades(targets: Targets, values: dict[str, float | None]) -> dict[str, str]:
    """The colour of every graded figure among ``values``."""
    return {name: grade(targets, name, values[name]) for name in GRADED if name in values}
