"""Units of work for the promises administrators set up: SLA policies and the queues whose answered
calls open tickets. (Business calendars: :mod:`cti.tickets.calendar_service`.)

Each function takes a synchronous ``Session`` and runs in the caller's transaction
(``Database.write``): it checks, writes, and adds one audit row with the values before and after,
so the change and its record commit together. A refusal raises
:class:`~cti.tickets.settings_forms.SettingsError` before anything is written. Forms are read by
:mod:`cti.tickets.settings_forms`; the caller forgets the desk's cached promises after the commit
(:meth:`cti.tickets.desk.TicketDesk.forget_promises`).

Policies in force are the built-in defaults (:data:`cti.tickets.clocks.DEFAULT_POLICIES`) with the
``sla_policies`` rows over them: a row for a built-in key overrides it, deleting that row brings
the default back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cti.audit import record
from cti.tickets import workflow
from cti.tickets.clocks import ALWAYS, BUSINESS, DEFAULT_POLICIES
from cti.tickets.models import BusinessCalendarRow, QueueTicketRule, SlaPolicy
from cti.tickets.settings_forms import ANY, PolicyValues, QueueRuleValues, SettingsError

BUILT_IN, OVERRIDE, CUSTOM = "built_in", "override", "custom"


def audit(session: Session, actor: str, entity: str, entity_id: object, action: str,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    record(session, actor=actor, entity=entity, entity_id=entity_id, action=action,  # type: ignore[arg-type]
           before=before, after=after)


def flush_unique(session: Session, code: str, field: str, **params: Any) -> None:
    """Flush; a unique constraint another transaction won meanwhile (PostgreSQL, between the check and the
    write) is refused as ``code`` like the check would have (the caller's transaction then rolls back)."""
    try:
        session.flush()
    except IntegrityError:
        raise SettingsError(code, field, **params) from None


def calendar_names(session: Session) -> list[str]:
    """The calendars a policy may name: the built-in ``business`` and ``24x7`` and every stored one."""
    return sorted({BUSINESS, ALWAYS, *session.scalars(select(BusinessCalendarRow.name))})


# --- SLA policies -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyInForce:
    values: PolicyValues
    id: int | None  # its sla_policies row; None for a built-in default nobody changed
    source: str  # built_in | override (a row over a built-in default) | custom

    @property
    def key(self) -> tuple[str, str]:
        return self.values.service_type, self.values.priority


def built_in(service_type: str, priority: str) -> PolicyValues | None:
    """The built-in default for exactly this key, as a policy row would hold it."""
    found = DEFAULT_POLICIES.get((service_type, priority))
    if found is None:
        return None
    return PolicyValues(service_type, priority, found.first_contact, found.on_site, found.resolution,
                        found.at_risk_ratio, found.pause_while_waiting, found.calendar)


def _values(row: SlaPolicy) -> PolicyValues:
    return PolicyValues(row.service_type, row.priority, row.first_contact_hours, row.on_site_hours,
                        row.resolution_hours, row.at_risk_ratio, row.pause_while_waiting, row.calendar)


def _order(policy: PolicyInForce) -> tuple[int, int]:
    """Any service type first, then in the catalogue's order; within it any priority, then low to urgent."""
    kind, priority = policy.key
    return (-1 if kind == ANY else workflow.SERVICE_TYPES.index(kind),
            -1 if priority == ANY else workflow.PRIORITIES.index(priority))


def policies(session: Session) -> list[PolicyInForce]:
    """Every policy in force: the stored rows and the built-in defaults no row overrides."""
    rows = {(r.service_type, r.priority): r for r in session.scalars(select(SlaPolicy))}
    found = [PolicyInForce(_values(r), r.id, OVERRIDE if key in DEFAULT_POLICIES else CUSTOM)
             for key, r in rows.items()]
    found += [PolicyInForce(built_in(*key), None, BUILT_IN)  # type: ignore[arg-type]
              for key in DEFAULT_POLICIES if key not in rows]
    return sorted(found, key=_order)


def policy_id(session: Session, service_type: str, priority: str) -> int | None:
    """The stored row of a policy key, if there is one (a built-in default has none)."""
    return session.scalar(select(SlaPolicy.id).where(SlaPolicy.service_type == service_type,
                                                     SlaPolicy.priority == priority))


def _key_id(values: PolicyValues) -> str:
    return f"{values.service_type}/{values.priority}"


def save_policy(session: Session, policy_id: int | None, values: PolicyValues, *, actor: str) -> SlaPolicy:
    """Add a policy (``policy_id`` None; over a built-in default it overrides it) or change one."""
    if values.calendar not in calendar_names(session):
        raise SettingsError("unknown_calendar", "calendar", name=values.calendar)
    taken = session.scalar(select(SlaPolicy).where(SlaPolicy.service_type == values.service_type,
                                                   SlaPolicy.priority == values.priority))
    if taken is not None and taken.id != policy_id:
        raise SettingsError("policy_taken", "service_type")
    if policy_id is None:
        default = built_in(values.service_type, values.priority)
        row = SlaPolicy(**values.columns())
        session.add(row)
        before, action = (default.columns(), "override") if default else (None, "create")
    else:
        row = session.get(SlaPolicy, policy_id)
        if row is None:
            raise SettingsError("not_found")
        before, action = _values(row).columns(), "update"
        for name, value in values.columns().items():
            setattr(row, name, value)
    flush_unique(session, "policy_taken", "service_type")
    audit(session, actor, "sla_policy", _key_id(values), action, before, values.columns())
    return row


def delete_policy(session: Session, policy_id: int, *, actor: str) -> PolicyValues | None:
    """Delete a stored policy; returns the built-in default that applies again, if there is one."""
    row = session.get(SlaPolicy, policy_id)
    if row is None:
        raise SettingsError("not_found")
    before = _values(row)
    session.delete(row)
    default = built_in(before.service_type, before.priority)
    audit(session, actor, "sla_policy", _key_id(before), "delete", before.columns(),
          default.columns() if default else None)
    return default


# --- queue rules ------------------------------------------------------------------------------------


def queue_rules(session: Session) -> list[QueueTicketRule]:
    return list(session.scalars(select(QueueTicketRule).order_by(QueueTicketRule.queue)))


def _rule_values(row: QueueTicketRule) -> dict[str, Any]:
    return QueueRuleValues(row.queue, row.service_type, row.service_mode, row.active).columns()


def save_queue_rule(session: Session, rule_id: int | None, values: QueueRuleValues, *, actor: str) -> QueueTicketRule:
    taken = session.scalar(select(QueueTicketRule.id).where(QueueTicketRule.queue == values.queue))
    if taken is not None and taken != rule_id:
        raise SettingsError("queue_taken", "queue")
    if rule_id is None:
        row, before = QueueTicketRule(**values.columns()), None
        session.add(row)
    else:
        row = session.get(QueueTicketRule, rule_id)
        if row is None:
            raise SettingsError("not_found")
        before = _rule_values(row)
        for name, value in values.columns().items():
            setattr(row, name, value)
    flush_unique(session, "queue_taken", "queue")
    audit(session, actor, "queue_ticket_rule", row.id, "create" if before is None else "update", before,
          values.columns())
    return row


def delete_queue_rule(session: Session, rule_id: int, *, actor: str) -> None:
    row = session.get(QueueTicketRule, rule_id)
    if row is None:
        raise SettingsError("not_found")
    before = _rule_values(row)
    session.delete(row)
    audit(session, actor, "queue_ticket_rule", rule_id, "delete", before)
