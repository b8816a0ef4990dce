"""Each queue's wallboard settings: read as :class:`~cti.supervision.targets.Targets`, and saved from the
settings form (:func:`parse`: every field checked, amber before red, nothing saved on a refusal)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.audit import record
from cti.form_errors import Problems
from cti.org.models import OrgUnit
from cti.store.base import utcnow
from cti.supervision.metrics import Thresholds
from cti.supervision.models import QueueSetting
from cti.supervision.targets import HIGHER_IS_BETTER, Targets
from cti.tickets.settings_forms import SettingsError

# form field -> (lowest, highest); rates are typed as percentages
LIMITS = {"service_level_seconds": (1, 600), "short_abandon_seconds": (0, 120),
          "service_level": (0, 100), "abandon_rate": (0, 100), "longest_wait": (1, 3600), "waiting": (1, 1000),
          "asa": (1, 3600)}
PERCENT = frozenset({"service_level", "abandon_rate"})
GRADED = ("service_level", "abandon_rate", "longest_wait", "waiting", "asa")


@dataclass(frozen=True, slots=True)
class QueueForm:
    queue: str
    label: str
    org_unit_id: int | None
    values: dict[str, float]  # column -> value


def targets_of(row: QueueSetting) -> Targets:
    return Targets(thresholds=Thresholds(row.service_level_seconds, row.short_abandon_seconds),
                   service_level=(row.service_level_amber, row.service_level_red),
                   abandon_rate=(row.abandon_rate_amber, row.abandon_rate_red),
                   longest_wait=(row.longest_wait_amber, row.longest_wait_red),
                   waiting=(row.waiting_amber, row.waiting_red), asa=(row.asa_amber, row.asa_red))


def rows(session: Session) -> list[QueueSetting]:
    return list(session.scalars(select(QueueSetting).order_by(QueueSetting.queue)))


def form_values(row: QueueSetting | None, queue: str = "") -> dict[str, str]:
    """A row (or the defaults) as the form shows it: rates in percent."""
    t = targets_of(row) if row is not None else Targets()
    values = {"queue": row.queue if row else queue, "label": row.label if row else "",
              "org_unit_id": str(row.org_unit_id or "") if row else "",
              "service_level_seconds": _num(t.thresholds.service_level_seconds),
              "short_abandon_seconds": _num(t.thresholds.short_abandon_seconds)}
    for name in GRADED:
        amber, red = getattr(t, name)
        scale = 100 if name in PERCENT else 1
        values[f"{name}_amber"], values[f"{name}_red"] = _num(amber * scale), _num(red * scale)
    return values


def parse(session: Session, form: dict[str, str]) -> QueueForm:
    problems = Problems(SettingsError)
    queue = form.get("queue", "").strip()
    if not queue:
        problems.add("queue", "required")
    elif len(queue) > 80 or any(c.isspace() or ord(c) < 32 for c in queue):
        problems.add("queue", "bad_queue")
    label = form.get("label", "").strip()
    if len(label) > 120:
        problems.add("label", "too_long", max=120)
    unit = form.get("org_unit_id", "").strip()
    unit_id = int(unit) if unit.isdigit() and len(unit) < 12 else None
    if unit and (unit_id is None or session.get(OrgUnit, unit_id) is None):
        problems.add("org_unit_id", "bad_choice")
    values: dict[str, float] = {}
    for name in ("service_level_seconds", "short_abandon_seconds"):
        values[name] = _number(problems, form, name, *LIMITS[name])
    for name in GRADED:
        low, high = LIMITS[name]
        scale = 100 if name in PERCENT else 1
        amber = _number(problems, form, f"{name}_amber", low, high)
        red = _number(problems, form, f"{name}_red", low, high)
        wrong_way = red > amber if name in HIGHER_IS_BETTER else red < amber
        if wrong_way:
            problems.add(f"{name}_red", "red_before_amber")
        values[f"{name}_amber"], values[f"{name}_red"] = amber / scale, red / scale
    problems.check()
    return QueueForm(queue, label, unit_id, values)


def save(session: Session, parsed: QueueForm, *, actor: str) -> None:
    row = session.get(QueueSetting, parsed.queue)
    before = None if row is None else form_values(row)
    if row is None:
        row = QueueSetting(queue=parsed.queue)
        session.add(row)
    row.label, row.org_unit_id, row.updated_at = parsed.label, parsed.org_unit_id, utcnow()
    for column, value in parsed.values.items():
        setattr(row, column, value)
    session.flush()
    record(session, actor=actor, entity="queue_setting", entity_id=parsed.queue, action="save", before=before,
           after=form_values(row))


def floor_settings(session: Session) -> dict[str, Any]:
    """What the wallboard needs of the tables: each queue's targets, label and unit."""
    found = rows(session)
    return {"targets": {r.queue: targets_of(r) for r in found}, "labels": {r.queue: r.label for r in found if r.label},
            "units": {r.queue: r.org_unit_id for r in found}}


def _number(problems: Problems, form: dict[str, str], name: str, low: float, high: float) -> float:
    text = form.get(name, "").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        problems.add(name, "bad_number", low=_num(low), high=_num(high))
        return 0.0
    if not low <= value <= high:
        problems.add(name, "bad_number", low=_num(low), high=_num(high))
    return value


def _num(value: float) -> str:
    return f"{value:g}"
