"""The after-sales state machines, written as data: which state a ticket may go to, who may move it,
what the move needs, which customer notification it calls for and what it does to the SLA clocks.

A ticket's workflow follows from its service type (and, for a repair, the service mode):

* ``carry_in`` — a repair brought to the repair desk (送修): 待修 → 修理中 ⇄ 待件 / 难修 → 待取 → 已取.
  终止维修 (``repair_stopped``, with a reason) ends the work on any unit still at the bench; the unit
  then waits to be collected (``ready_for_pickup``) like a repaired one. A customer who finds the
  fault again at the counter sends the unit back to the bench (``rework``).
* ``on_site`` — an on-site repair, an installation, a delivery or exchange (上门): 待派工 → 已派工 →
  已上门 → 已完工 → 已关闭. The engineer's completion waits for a supervisor's review (审核): approved,
  the ticket closes; rejected (with a note), it goes back to the engineer, still on site or for
  another visit. A job waiting for parts goes back to 已派工 when they arrive (the revisit is
  dispatched like the first visit). Cancelling (with a reason) is possible until the engineer arrives.
* ``complaint`` — 待处理 → 处理中 → 已解决 → 已关闭; a resolved or closed complaint may be reopened
  (重开, with a note) and is then handled again.
* ``note_only`` — an enquiry or a praise: ``open`` → ``closed``; the service may close it on save.

``resolved`` are the states where the case counts as concluded (reports); ``final`` where the
ticket is closed: it leaves the work lists, runs no clocks and changes no more, except by a reopen
where the workflow has one (a closed complaint). A carry-in repair is resolved only when the
customer has the unit back (``picked_up``), repaired or not; whether it was repaired is told by
the way it went (``finish_repair`` or ``stop_repair``).

SLA clocks (:data:`CLOCKS`) are started by the service when the ticket opens. A transition's
``stops`` are the clocks it stops — the promise is kept if that happens before the deadline — and
its ``restarts`` those it starts again. ``first_contact`` is stopped by every change out of the
initial state (the service also stops it on an outbound call to the customer); ``on_site`` by
the engineer's arrival; ``resolution`` when the work is done *for the customer*: a repaired unit
ready for pickup or a stopped repair (collection waits on the customer, and the 三包 repair period
runs to the repair), an on-site job completed (the review is back office), a complaint resolved.
A review rejection, a rework or a reopen restarts it. Clocks still running when a ticket enters a
final state are dropped (a cancelled job owes nothing). In ``paused`` states the clocks pause if
the SLA policy says so (waiting for parts).

>>> wf = workflow_for("repair", "carry_in")
>>> wf.initial, [t.action for t in allowed(wf, "in_repair", "engineer")]
('awaiting_repair', ['wait_parts', 'mark_hard', 'finish_repair', 'stop_repair'])
>>> check(wf, "in_repair", "ready_for_pickup", role="engineer").notify
'repaired'
>>> check(wf, "hard_repair", "repair_stopped", role="engineer")
Traceback (most recent call last):
...
cti.tickets.workflow.TransitionRefused: stop_repair (from hard_repair to repair_stopped) needs a reason
>>> workflow_for("installation", None).name, is_open(workflow_for("praise", None), "closed")
('on_site', False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CLOCKS", "NOTIFICATIONS", "PRIORITIES", "REFUSALS", "ROLES", "SERVICE_MODES", "SERVICE_TYPES",
    "WORKFLOWS", "Transition", "TransitionRefused", "Workflow", "allowed", "check", "is_open",
    "problems", "workflow_for",
]  # fmt: skip

SERVICE_TYPES = ("repair", "installation", "delivery", "complaint", "enquiry", "praise")
SERVICE_MODES = ("carry_in", "on_site")  # of a repair; installation and delivery are on site
PRIORITIES = ("low", "normal", "high", "urgent")
# Customer notifications a change calls for: 修复通知, 到货通知, 延长维修周期通知, 维修待件通知.
NOTIFICATIONS = ("repaired", "parts_arrived", "repair_extended", "awaiting_parts")
ROLES = ("agent", "engineer", "supervisor", "manager", "admin")  # cti.users.models.ROLES
CLOCKS = ("first_contact", "on_site", "resolution")
REFUSALS = ("unknown_state", "final", "not_allowed", "role", "needs_reason", "needs_note")


@dataclass(frozen=True, slots=True)
class Transition:
    source: str
    target: str
    action: str  # the verb on the console's button: "start_repair", "dispatch", "approve", ...
    roles: frozenset[str]  # who may do it
    needs_reason: bool = False  # a reason (why the work stops or is cancelled)
    needs_note: bool = False  # a free note (why it goes back)
    notify: str | None = None  # one of NOTIFICATIONS
    stops: tuple[str, ...] = ()  # SLA clocks this change stops: kept if before their deadline
    restarts: tuple[str, ...] = ()  # SLA clocks started again


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    initial: str
    states: tuple[str, ...]  # in the order a list or a filter shows them
    transitions: tuple[Transition, ...]  # in the order the console offers them
    resolved: frozenset[str]
    final: frozenset[str]
    paused: frozenset[str] = frozenset()

    def find(self, source: str, target: str) -> Transition | None:
        return next((t for t in self.transitions if t.source == source and t.target == target), None)


class TransitionRefused(ValueError):
    """A change the workflow does not allow: ``code`` (one of :data:`REFUSALS`, the catalogs'
    ``ticket.refused.<code>``) and ``params`` (workflow, state, target, role, action) for its message."""

    _MESSAGES: Mapping[str, str] = {
        "unknown_state": "the {workflow} workflow has no state '{state}'",
        "final": "the ticket is {state}, a final state: it cannot go to {target}",
        "not_allowed": "a ticket cannot go from {state} to {target}",
        "role": "{action} (from {state} to {target}) is not for the {role} role",
        "needs_reason": "{action} (from {state} to {target}) needs a reason",
        "needs_note": "{action} (from {state} to {target}) needs a note",
    }

    def __init__(self, code: str, params: Mapping[str, str]) -> None:
        self.code = code
        self.params = dict(params)
        super().__init__(self._MESSAGES[code].format(**self.params))

    def __reduce__(self) -> tuple[type[TransitionRefused], tuple[str, dict[str, str]]]:
        return type(self), (self.code, self.params)


# --- the tables ----------------------------------------------------------------------------------

AGENTS = frozenset({"agent", "supervisor", "manager", "admin"})  # the hotline: dispatch, complaints
ENGINEERS = frozenset({"engineer", "supervisor", "manager", "admin"})  # the bench and the field
SUPERVISORS = frozenset({"supervisor", "manager", "admin"})  # reviews
EVERYONE = frozenset(ROLES)
FIRST, ON_SITE, RESOLUTION = CLOCKS


_t = Transition  # the tables read as rows


CARRY_IN = Workflow(
    name="carry_in",
    initial="awaiting_repair",
    states=("awaiting_repair", "in_repair", "awaiting_parts", "hard_repair", "ready_for_pickup",
            "picked_up", "repair_stopped"),
    transitions=(
        _t("awaiting_repair", "in_repair", "start_repair", ENGINEERS, stops=(FIRST,)),
        _t("in_repair", "awaiting_parts", "wait_parts", ENGINEERS, notify="awaiting_parts"),
        _t("in_repair", "hard_repair", "mark_hard", ENGINEERS, notify="repair_extended"),
        _t("in_repair", "ready_for_pickup", "finish_repair", ENGINEERS, notify="repaired",
           stops=(RESOLUTION,)),
        _t("awaiting_parts", "in_repair", "receive_parts", ENGINEERS, notify="parts_arrived"),
        _t("hard_repair", "in_repair", "resume_repair", ENGINEERS),
        _t("hard_repair", "awaiting_parts", "wait_parts", ENGINEERS, notify="awaiting_parts"),
        _t("hard_repair", "ready_for_pickup", "finish_repair", ENGINEERS, notify="repaired",
           stops=(RESOLUTION,)),
        _t("ready_for_pickup", "picked_up", "hand_over", EVERYONE),
        _t("ready_for_pickup", "in_repair", "rework", EVERYONE, needs_note=True,
           restarts=(RESOLUTION,)),
        _t("awaiting_repair", "repair_stopped", "stop_repair", ENGINEERS, needs_reason=True,
           stops=(FIRST, RESOLUTION)),
        *(_t(source, "repair_stopped", "stop_repair", ENGINEERS, needs_reason=True, stops=(RESOLUTION,))
          for source in ("in_repair", "awaiting_parts", "hard_repair")),
        _t("repair_stopped", "ready_for_pickup", "return_unit", ENGINEERS),
    ),
    resolved=frozenset({"picked_up"}),
    final=frozenset({"picked_up"}),
    paused=frozenset({"awaiting_parts"}),
)  # fmt: skip

ON_SITE_WORK = Workflow(
    name="on_site",
    initial="to_dispatch",
    states=("to_dispatch", "dispatched", "on_site", "awaiting_parts", "completed", "closed", "cancelled"),
    transitions=(
        _t("to_dispatch", "dispatched", "dispatch", AGENTS, stops=(FIRST,)),
        _t("to_dispatch", "cancelled", "cancel", AGENTS, needs_reason=True, stops=(FIRST,)),
        _t("dispatched", "on_site", "arrive", ENGINEERS, stops=(ON_SITE,)),
        _t("dispatched", "to_dispatch", "unassign", EVERYONE, needs_note=True),
        _t("dispatched", "cancelled", "cancel", AGENTS, needs_reason=True),
        _t("on_site", "completed", "complete", ENGINEERS, stops=(RESOLUTION,)),
        _t("on_site", "awaiting_parts", "wait_parts", ENGINEERS, notify="awaiting_parts"),
        _t("on_site", "dispatched", "revisit", ENGINEERS, needs_note=True),
        _t("awaiting_parts", "dispatched", "receive_parts", EVERYONE, notify="parts_arrived"),
        _t("completed", "closed", "approve", SUPERVISORS),
        _t("completed", "on_site", "reject", SUPERVISORS, needs_note=True, restarts=(RESOLUTION,)),
        _t("completed", "dispatched", "reject_revisit", SUPERVISORS, needs_note=True,
           restarts=(RESOLUTION,)),
    ),
    resolved=frozenset({"closed"}),
    final=frozenset({"closed", "cancelled"}),
    paused=frozenset({"awaiting_parts"}),
)  # fmt: skip

COMPLAINT = Workflow(
    name="complaint",
    initial="pending",
    states=("pending", "processing", "resolved", "closed", "reopened"),
    transitions=(
        _t("pending", "processing", "start", AGENTS, stops=(FIRST,)),
        _t("processing", "resolved", "resolve", AGENTS, needs_note=True, stops=(RESOLUTION,)),
        _t("resolved", "closed", "close", AGENTS),
        _t("resolved", "reopened", "reopen", AGENTS, needs_note=True, restarts=(RESOLUTION,)),
        _t("closed", "reopened", "reopen", AGENTS, needs_note=True, restarts=(RESOLUTION,)),
        _t("reopened", "processing", "start", AGENTS),
    ),
    resolved=frozenset({"resolved", "closed"}),
    final=frozenset({"closed"}),
)

NOTE_ONLY = Workflow(
    name="note_only",
    initial="open",
    states=("open", "closed"),
    transitions=(_t("open", "closed", "close", EVERYONE, stops=(FIRST, RESOLUTION)),),
    resolved=frozenset({"closed"}),
    final=frozenset({"closed"}),
)

WORKFLOWS: Mapping[str, Workflow] = {wf.name: wf for wf in (CARRY_IN, ON_SITE_WORK, COMPLAINT, NOTE_ONLY)}
_BY_TYPE = {"installation": "on_site", "delivery": "on_site", "complaint": "complaint",
            "enquiry": "note_only", "praise": "note_only"}  # fmt: skip


# --- the functions -------------------------------------------------------------------------------


def workflow_for(service_type: str, mode: str | None) -> Workflow:
    """The workflow of a ticket: a repair needs its mode; installation and delivery are on site
    (``"on_site"`` or no mode); the others take no mode. An empty mode is no mode."""
    mode = mode or None
    if service_type not in SERVICE_TYPES:
        raise ValueError(f"unknown service type {service_type!r}; use one of {', '.join(SERVICE_TYPES)}")
    if mode is not None and mode not in SERVICE_MODES:
        raise ValueError(f"unknown service mode {mode!r}; use one of {', '.join(SERVICE_MODES)}")
    if service_type == "repair":
        if mode is None:
            raise ValueError(f"a repair needs a service mode: {' or '.join(SERVICE_MODES)}")
        return WORKFLOWS[mode]
    name = _BY_TYPE[service_type]
    if mode is not None and mode != name:
        where = "always on site" if name == "on_site" else "not a repair: it takes no service mode"
        raise ValueError(f"{'an' if service_type[0] in 'aeiou' else 'a'} {service_type} is {where}")
    return WORKFLOWS[name]


def _known(workflow: Workflow, state: str) -> None:
    if state not in workflow.states:
        raise TransitionRefused("unknown_state", {"workflow": workflow.name, "state": state})


def allowed(workflow: Workflow, state: str, role: str) -> list[Transition]:
    """The changes ``role`` may make from ``state``, in the order the console offers them."""
    _known(workflow, state)
    return [t for t in workflow.transitions if t.source == state and role in t.roles]


def check(
    workflow: Workflow, state: str, target: str, *, role: str, note: str = "", reason: str = ""
) -> Transition:
    """The transition from ``state`` to ``target`` if ``role`` may make it with this note and
    reason (blank counts as none); :class:`TransitionRefused` otherwise."""
    _known(workflow, state)
    _known(workflow, target)
    params = {"workflow": workflow.name, "state": state, "target": target, "role": role}
    transition = workflow.find(state, target)
    if transition is None:
        raise TransitionRefused("final" if state in workflow.final else "not_allowed", params)
    params["action"] = transition.action
    if role not in transition.roles:
        raise TransitionRefused("role", params)
    if transition.needs_reason and not reason.strip():
        raise TransitionRefused("needs_reason", params)
    if transition.needs_note and not note.strip():
        raise TransitionRefused("needs_note", params)
    return transition


def is_open(workflow: Workflow, state: str) -> bool:
    """Still being worked on (on the work lists, its SLA clocks running): not in a final state."""
    _known(workflow, state)
    return state not in workflow.final


# --- the self-check ------------------------------------------------------------------------------


def problems(workflow: Workflow) -> list[str]:
    """What is wrong with a workflow's table (empty when nothing): unknown names, states that
    cannot be reached or left, and a resolution clock that does not follow the states."""
    wf, found = workflow, []
    states = set(wf.states)
    if len(states) != len(wf.states):
        found.append("a state is listed twice")
    for label, names in (("initial", {wf.initial}), ("resolved", wf.resolved), ("final", wf.final),
                         ("paused", wf.paused)):  # fmt: skip
        found += [f"{label} state {s!r} is not a state" for s in sorted(names - states)]
    found += [f"paused state {s!r} is final" for s in sorted(wf.paused & wf.final)]
    pairs = [(t.source, t.target) for t in wf.transitions]
    found += [f"{s} -> {t} is listed twice" for s, t in sorted({p for p in pairs if pairs.count(p) > 1})]
    for t in wf.transitions:
        name = f"{t.source} -> {t.target} ({t.action})"
        found += [f"{name} names unknown state {s!r}" for s in (t.source, t.target) if s not in states]
        if t.source == t.target:
            found.append(f"{name} goes nowhere")
        if not t.roles or not t.roles <= set(ROLES):
            found.append(f"{name} has roles {sorted(t.roles)}")
        if t.notify is not None and t.notify not in NOTIFICATIONS:
            found.append(f"{name} calls for unknown notification {t.notify!r}")
        found += [f"{name} names unknown clock {c!r}" for c in (*t.stops, *t.restarts) if c not in CLOCKS]
        if t.source == wf.initial and FIRST not in t.stops:
            found.append(f"{name} leaves the initial state without stopping first_contact")
    reached, todo = {wf.initial}, [wf.initial]
    while todo:
        state = todo.pop()
        for t in wf.transitions:
            if t.source == state and t.target not in reached:
                reached.add(t.target)
                todo.append(t.target)
    found += [f"{s!r} cannot be reached from {wf.initial!r}" for s in wf.states if s not in reached]
    found += [f"{s!r} is not final and has no way out" for s in wf.states
              if s not in wf.final and not any(t.source == s for t in wf.transitions)]  # fmt: skip
    return found + _resolution_problems(wf)


def _resolution_problems(wf: Workflow) -> list[str]:
    """The resolution clock's running/stopped must follow from the state alone (so a report can
    tell it from the state), be stopped in resolved states, and be stopped or restarted only when
    it runs or is stopped. Final states that are not resolved drop their clocks: not checked."""
    found: list[str] = []
    seen: dict[str, set[bool]] = {}
    todo = [(wf.initial, True)]
    while todo:
        state, running = todo.pop()
        if running in seen.setdefault(state, set()):
            continue
        seen[state].add(running)
        for t in (t for t in wf.transitions if t.source == state):
            after = running
            if RESOLUTION in t.stops:
                if not running:
                    found.append(f"{state} -> {t.target} stops a stopped resolution clock")
                after = False
            if RESOLUTION in t.restarts:
                if running:
                    found.append(f"{state} -> {t.target} restarts a running resolution clock")
                after = True
            todo.append((t.target, after))
    for state, status in sorted(seen.items()):
        if state in wf.final - wf.resolved:
            continue
        if len(status) > 1:
            found.append(f"the resolution clock may run or not in {state!r}")
        elif state in wf.resolved and True in status:
            found.append(f"the resolution clock runs in resolved state {state!r}")
    return sorted(set(found))


for _wf in WORKFLOWS.values():
    if _problems := problems(_wf):
        raise RuntimeError(f"workflow {_wf.name}: " + "; ".join(_problems))
