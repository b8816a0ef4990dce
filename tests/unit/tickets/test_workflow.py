"""The after-sales workflows: the tables as the trade writes them, and what check() allows and refuses."""

from __future__ import annotations

import itertools
import json
import string
from dataclasses import replace
from pathlib import Path

import pytest

from cti.tickets import escalation
from cti.tickets.workflow import (
    CLOCKS,
    NOTIFICATIONS,
    PRIORITIES,
    REFUSALS,
    ROLES,
    SERVICE_MODES,
    SERVICE_TYPES,
    WORKFLOWS,
    Transition,
    TransitionRefused,
    Workflow,
    allowed,
    check,
    is_open,
    problems,
    workflow_for,
)

WEB = Path(__file__).resolve().parents[3] / "web"

# Who: the hotline (agents, and their supervisors and admins), the bench and the field (engineers,
# and supervisors and admins on their behalf), reviewers (supervisors, admins), anyone.
WHO = {
    "hotline": {"agent", "supervisor", "manager", "admin"},
    "engineers": {"engineer", "supervisor", "manager", "admin"},
    "reviewers": {"supervisor", "manager", "admin"},
    "anyone": {"agent", "engineer", "supervisor", "manager", "admin"},
}

# The tables by hand, as a repair desk, a dispatcher and a complaints team would draw them:
# (from, to, action, who, needs, notification, SLA clocks stopped, SLA clocks restarted)
EXPECTED = {
    "carry_in": {
        ("awaiting_repair", "in_repair", "start_repair", "engineers", "", None, "first_contact", ""),
        ("in_repair", "awaiting_parts", "wait_parts", "engineers", "", "awaiting_parts", "", ""),
        ("awaiting_parts", "in_repair", "receive_parts", "engineers", "", "parts_arrived", "", ""),
        ("in_repair", "hard_repair", "mark_hard", "engineers", "", "repair_extended", "", ""),
        ("hard_repair", "in_repair", "resume_repair", "engineers", "", None, "", ""),
        ("hard_repair", "awaiting_parts", "wait_parts", "engineers", "", "awaiting_parts", "", ""),
        ("in_repair", "ready_for_pickup", "finish_repair", "engineers", "", "repaired", "resolution", ""),
        ("hard_repair", "ready_for_pickup", "finish_repair", "engineers", "", "repaired", "resolution", ""),
        ("ready_for_pickup", "picked_up", "hand_over", "anyone", "", None, "", ""),
        ("ready_for_pickup", "in_repair", "rework", "anyone", "note", None, "", "resolution"),
        ("awaiting_repair", "repair_stopped", "stop_repair", "engineers", "reason", None,
         "first_contact resolution", ""),
        ("in_repair", "repair_stopped", "stop_repair", "engineers", "reason", None, "resolution", ""),
        ("awaiting_parts", "repair_stopped", "stop_repair", "engineers", "reason", None, "resolution", ""),
        ("hard_repair", "repair_stopped", "stop_repair", "engineers", "reason", None, "resolution", ""),
        ("repair_stopped", "ready_for_pickup", "return_unit", "engineers", "", None, "", ""),
    },
    "on_site": {
        ("to_dispatch", "dispatched", "dispatch", "hotline", "", None, "first_contact", ""),
        ("to_dispatch", "cancelled", "cancel", "hotline", "reason", None, "first_contact", ""),
        ("dispatched", "to_dispatch", "unassign", "anyone", "note", None, "", ""),
        ("dispatched", "on_site", "arrive", "engineers", "", None, "on_site", ""),
        ("dispatched", "cancelled", "cancel", "hotline", "reason", None, "", ""),
        ("on_site", "completed", "complete", "engineers", "", None, "resolution", ""),
        ("on_site", "awaiting_parts", "wait_parts", "engineers", "", "awaiting_parts", "", ""),
        ("on_site", "dispatched", "revisit", "engineers", "note", None, "", ""),
        ("awaiting_parts", "dispatched", "receive_parts", "anyone", "", "parts_arrived", "", ""),
        ("completed", "closed", "approve", "reviewers", "", None, "", ""),
        ("completed", "on_site", "reject", "reviewers", "note", None, "", "resolution"),
        ("completed", "dispatched", "reject_revisit", "reviewers", "note", None, "", "resolution"),
    },
    "complaint": {
        ("pending", "processing", "start", "hotline", "", None, "first_contact", ""),
        ("processing", "resolved", "resolve", "hotline", "note", None, "resolution", ""),
        ("resolved", "closed", "close", "hotline", "", None, "", ""),
        ("resolved", "reopened", "reopen", "hotline", "note", None, "", "resolution"),
        ("closed", "reopened", "reopen", "hotline", "note", None, "", "resolution"),
        ("reopened", "processing", "start", "hotline", "", None, "", ""),
    },
    "note_only": {
        ("open", "closed", "close", "anyone", "", None, "first_contact resolution", ""),
    },
}

# (initial, states, resolved, final, paused)
SHAPES = {
    "carry_in": ("awaiting_repair", {"awaiting_repair", "in_repair", "awaiting_parts", "hard_repair",
                 "ready_for_pickup", "picked_up", "repair_stopped"}, {"picked_up"}, {"picked_up"},
                 {"awaiting_parts"}),
    "on_site": ("to_dispatch", {"to_dispatch", "dispatched", "on_site", "awaiting_parts", "completed", "closed",
                "cancelled"}, {"closed"}, {"closed", "cancelled"}, {"awaiting_parts"}),
    "complaint": ("pending", {"pending", "processing", "resolved", "closed", "reopened"}, {"resolved", "closed"},
                  {"closed"}, set()),
    "note_only": ("open", {"open", "closed"}, {"closed"}, {"closed"}, set()),
}  # fmt: skip


def as_row(t: Transition) -> tuple:
    who = next(name for name, roles in WHO.items() if roles == t.roles)
    needs = "reason" if t.needs_reason else "note" if t.needs_note else ""
    return (t.source, t.target, t.action, who, needs, t.notify, " ".join(t.stops), " ".join(t.restarts))


ALL = [(wf, t) for wf in WORKFLOWS.values() for t in wf.transitions]
ALL_IDS = [f"{wf.name}:{t.source}->{t.target}" for wf, t in ALL]


def filled(t: Transition) -> dict[str, str]:
    return {"note": "the customer says so" if t.needs_note else "", "reason": "no parts" if t.needs_reason else ""}


def test_the_vocabulary():
    assert SERVICE_TYPES == ("repair", "installation", "delivery", "complaint", "enquiry", "praise")
    assert SERVICE_MODES == ("carry_in", "on_site")
    assert PRIORITIES == ("low", "normal", "high", "urgent")
    assert NOTIFICATIONS == ("repaired", "parts_arrived", "repair_extended", "awaiting_parts")
    assert set(ROLES) == WHO["anyone"] and set(CLOCKS) == {"first_contact", "on_site", "resolution"}
    assert set(WORKFLOWS) == set(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_the_table_is_the_trades(name):
    wf = WORKFLOWS[name]
    rows = [as_row(t) for t in wf.transitions]
    assert len(rows) == len(set(rows))
    assert set(rows) == EXPECTED[name]


@pytest.mark.parametrize("name", SHAPES)
def test_states_and_their_sets(name):
    wf = WORKFLOWS[name]
    initial, states, resolved, final, paused = SHAPES[name]
    assert (wf.name, wf.initial, set(wf.states), wf.resolved, wf.final, wf.paused) == (
        name, initial, states, resolved, final, paused)
    assert len(wf.states) == len(states)
    assert [is_open(wf, s) for s in wf.states] == [s not in final for s in wf.states]


@pytest.mark.parametrize("name", WORKFLOWS)
def test_the_self_check_passes(name):
    assert problems(WORKFLOWS[name]) == []


@pytest.mark.parametrize(("wf", "t"), ALL, ids=ALL_IDS)
def test_every_allowed_transition_passes_for_each_of_its_roles(wf, t):
    for role in sorted(t.roles):
        assert check(wf, t.source, t.target, role=role, **filled(t)) is t
        assert t in allowed(wf, t.source, role)


@pytest.mark.parametrize(("wf", "t"), ALL, ids=ALL_IDS)
def test_every_other_role_is_refused(wf, t):
    for role in sorted(set(ROLES) - t.roles) + ["customer"]:
        with pytest.raises(TransitionRefused) as refused:
            check(wf, t.source, t.target, role=role, **filled(t))
        assert refused.value.code == "role"
        assert refused.value.params == {"workflow": wf.name, "state": t.source, "target": t.target,
                                        "role": role, "action": t.action}
        assert t not in allowed(wf, t.source, role)


@pytest.mark.parametrize("name", EXPECTED)
def test_every_pair_not_in_the_table_is_refused(name):
    wf = WORKFLOWS[name]
    allowed_pairs = {(row[0], row[1]) for row in EXPECTED[name]}
    refused = 0
    for source, target in itertools.product(wf.states, repeat=2):
        if (source, target) in allowed_pairs:
            continue
        for role in ROLES:
            with pytest.raises(TransitionRefused) as exc:
                check(wf, source, target, role=role, note="n", reason="r")
            assert exc.value.code == ("final" if source in wf.final else "not_allowed"), (source, target)
            assert exc.value.params["state"] == source and exc.value.params["target"] == target
        refused += 1
    assert refused == len(wf.states) ** 2 - len(allowed_pairs)


NEEDY = [(wf, t) for wf, t in ALL if t.needs_note or t.needs_reason]


@pytest.mark.parametrize(("wf", "t"), NEEDY, ids=[f"{wf.name}:{t.action}:{t.source}" for wf, t in NEEDY])
def test_a_reason_or_a_note_is_needed_and_blank_is_none(wf, t):
    role = sorted(t.roles)[0]
    code = "needs_reason" if t.needs_reason else "needs_note"
    given = filled(t)
    for blank in ("", "  \n\t"):
        with pytest.raises(TransitionRefused) as refused:
            check(wf, t.source, t.target, role=role, **{**given, code.removeprefix("needs_"): blank})
        assert refused.value.code == code
    # the other field does not stand in for it
    swapped = {"note": given["reason"], "reason": given["note"]}
    with pytest.raises(TransitionRefused, match=code.replace("_", " a ")):
        check(wf, t.source, t.target, role=role, **swapped)


def test_the_needs_of_the_trade():
    needs = {(wf.name, t.action): ("reason" if t.needs_reason else "note") for wf, t in NEEDY}
    assert needs == {
        ("carry_in", "stop_repair"): "reason", ("carry_in", "rework"): "note",
        ("on_site", "cancel"): "reason", ("on_site", "unassign"): "note", ("on_site", "revisit"): "note",
        ("on_site", "reject"): "note", ("on_site", "reject_revisit"): "note",
        ("complaint", "resolve"): "note", ("complaint", "reopen"): "note",
    }  # fmt: skip


def test_a_role_refusal_comes_before_a_missing_reason():
    wf = workflow_for("repair", "carry_in")
    with pytest.raises(TransitionRefused) as refused:
        check(wf, "hard_repair", "repair_stopped", role="agent")
    assert refused.value.code == "role"


def test_refusals_read_as_sentences_and_are_value_errors():
    wf = workflow_for("repair", "on_site")
    cases = {
        ("completed", "closed", "engineer"): ("role", "approve (from completed to closed) is not for the engineer role"),
        ("to_dispatch", "completed", "agent"): ("not_allowed", "a ticket cannot go from to_dispatch to completed"),
        ("cancelled", "to_dispatch", "admin"): ("final", "the ticket is cancelled, a final state: it cannot go to "
                                                         "to_dispatch"),
        ("dispatched", "cancelled", "agent"): ("needs_reason", "cancel (from dispatched to cancelled) needs a reason"),
        ("completed", "on_site", "supervisor"): ("needs_note", "reject (from completed to on_site) needs a note"),
        ("to_dispatch", "parked", "agent"): ("unknown_state", "the on_site workflow has no state 'parked'"),
        ("parked", "to_dispatch", "agent"): ("unknown_state", "the on_site workflow has no state 'parked'"),
    }  # fmt: skip
    for (source, target, role), (code, message) in cases.items():
        with pytest.raises(ValueError) as refused:
            check(wf, source, target, role=role)
        assert isinstance(refused.value, TransitionRefused)
        assert (refused.value.code, str(refused.value)) == (code, message)
    assert {code for code, _ in cases.values()} == set(REFUSALS)


def test_a_closed_complaint_can_only_be_reopened():
    wf = workflow_for("complaint", None)
    assert not is_open(wf, "closed")
    assert [t.target for t in allowed(wf, "closed", "agent")] == ["reopened"]
    with pytest.raises(TransitionRefused, match="final state"):
        check(wf, "closed", "processing", role="agent")
    assert check(wf, "closed", "reopened", role="agent", note="called again: still broken").restarts == ("resolution",)


def test_what_the_console_offers_in_order():
    carry, field = workflow_for("repair", "carry_in"), workflow_for("delivery", None)
    assert [t.action for t in allowed(carry, "hard_repair", "engineer")] == [
        "resume_repair", "wait_parts", "finish_repair", "stop_repair"]
    assert [t.action for t in allowed(carry, "hard_repair", "agent")] == []
    assert [t.action for t in allowed(carry, "ready_for_pickup", "agent")] == ["hand_over", "rework"]
    assert [t.action for t in allowed(field, "to_dispatch", "agent")] == ["dispatch", "cancel"]
    assert [t.action for t in allowed(field, "to_dispatch", "engineer")] == []
    assert [t.action for t in allowed(field, "dispatched", "engineer")] == ["arrive", "unassign"]
    assert [t.action for t in allowed(field, "completed", "supervisor")] == ["approve", "reject", "reject_revisit"]
    assert [t.action for t in allowed(field, "completed", "engineer")] == []
    assert allowed(field, "closed", "admin") == [] and allowed(field, "to_dispatch", "robot") == []
    with pytest.raises(TransitionRefused) as refused:
        allowed(field, "in_repair", "admin")
    assert refused.value.code == "unknown_state"
    with pytest.raises(TransitionRefused):
        is_open(field, "in_repair")


@pytest.mark.parametrize(
    ("service_type", "mode", "name"),
    [
        ("repair", "carry_in", "carry_in"),
        ("repair", "on_site", "on_site"),
        ("installation", None, "on_site"),
        ("installation", "on_site", "on_site"),
        ("delivery", None, "on_site"),
        ("delivery", "", "on_site"),
        ("complaint", None, "complaint"),
        ("enquiry", None, "note_only"),
        ("praise", "", "note_only"),
    ],
)
def test_the_workflow_of_a_service(service_type, mode, name):
    assert workflow_for(service_type, mode) is WORKFLOWS[name]


@pytest.mark.parametrize(
    ("service_type", "mode", "message"),
    [
        ("warranty", None, "unknown service type 'warranty'; use one of repair, installation, delivery, complaint, "
                           "enquiry, praise"),
        ("Repair", "carry_in", "unknown service type 'Repair'"),
        ("repair", None, "a repair needs a service mode: carry_in or on_site"),
        ("repair", "", "a repair needs a service mode"),
        ("repair", "walk_in", "unknown service mode 'walk_in'; use one of carry_in, on_site"),
        ("installation", "carry_in", "an installation is always on site"),
        ("delivery", "carry_in", "a delivery is always on site"),
        ("complaint", "on_site", "a complaint is not a repair: it takes no service mode"),
        ("enquiry", "carry_in", "an enquiry is not a repair"),
        ("praise", "on_site", "a praise is not a repair"),
    ],
)  # fmt: skip
def test_a_service_without_a_workflow_is_refused_clearly(service_type, mode, message):
    with pytest.raises(ValueError) as refused:
        workflow_for(service_type, mode)
    assert str(refused.value).startswith(message)


def test_the_notifications_the_trade_sends():
    for wf, t in ALL:
        if t.target == "awaiting_parts":
            assert t.notify == "awaiting_parts"
        elif t.target == "hard_repair":
            assert t.notify == "repair_extended"
        elif t.source == "awaiting_parts" and t.action == "receive_parts":
            assert t.notify == "parts_arrived"
        elif t.action == "finish_repair":
            assert t.notify == "repaired"
        else:
            assert t.notify is None, (wf.name, t)  # a stopped repair is not "repaired"
    assert {t.notify for _, t in ALL} - {None} == set(NOTIFICATIONS)


def test_every_state_keeps_its_promises_once():
    """Leaving the initial state keeps first contact; arriving keeps on-site; every resolved state
    is reached with the resolution clock stopped (problems() checks it per state)."""
    for wf, t in ALL:
        assert ("first_contact" in t.stops) == (t.source == wf.initial)
        assert ("on_site" in t.stops) == (t.action == "arrive")


# --- the self-check finds what is wrong -----------------------------------------------------------

NOTE = WORKFLOWS["note_only"]
EVERYONE = frozenset(ROLES)


def broken(**changes) -> Workflow:
    return replace(NOTE, **changes)


@pytest.mark.parametrize(
    ("workflow", "problem"),
    [
        (broken(states=("open", "closed", "parked")), "'parked' cannot be reached from 'open'"),
        (broken(final=frozenset()), "'closed' is not final and has no way out"),
        (broken(initial="new"), "initial state 'new' is not a state"),
        (broken(paused=frozenset({"closed"})), "paused state 'closed' is final"),
        (broken(transitions=(*NOTE.transitions, Transition("closed", "archived", "archive", EVERYONE))),
         "closed -> archived (archive) names unknown state 'archived'"),
        (broken(transitions=(*NOTE.transitions, *NOTE.transitions)), "open -> closed is listed twice"),
        (broken(transitions=(Transition("open", "closed", "close", EVERYONE),)),
         "open -> closed (close) leaves the initial state without stopping first_contact"),
        (broken(transitions=(Transition("open", "closed", "close", frozenset({"guest"}), stops=("first_contact",)),)),
         "open -> closed (close) has roles ['guest']"),
        (broken(transitions=(Transition("open", "closed", "close", EVERYONE, notify="sms", stops=("first_contact",)),)),
         "open -> closed (close) calls for unknown notification 'sms'"),
        (broken(transitions=(Transition("open", "closed", "close", EVERYONE, stops=("first_contact", "lunch")),)),
         "open -> closed (close) names unknown clock 'lunch'"),
        (broken(transitions=(Transition("open", "closed", "close", EVERYONE, stops=("first_contact",)),)),
         "the resolution clock runs in resolved state 'closed'"),
        (broken(transitions=(*NOTE.transitions,
                             Transition("closed", "open", "reopen", EVERYONE, stops=("first_contact",)))),
         "the resolution clock may run or not in 'open'"),
        (broken(transitions=(*NOTE.transitions, Transition("closed", "open", "reopen", EVERYONE,
                                                           stops=("first_contact", "resolution")))),
         "closed -> open stops a stopped resolution clock"),
        (broken(transitions=(Transition("open", "closed", "close", EVERYONE, stops=("first_contact",),
                                        restarts=("resolution",)),)),
         "open -> closed restarts a running resolution clock"),
    ],
)  # fmt: skip
def test_the_self_check_finds_a_broken_table(workflow, problem):
    assert problem in problems(workflow)


# --- the catalogs speak the vocabulary ------------------------------------------------------------


def vocabulary() -> dict[str, object]:
    states = {s for wf in WORKFLOWS.values() for s in wf.states}
    actions = {t.action for wf in WORKFLOWS.values() for t in wf.transitions}
    return {
        "type": SERVICE_TYPES, "mode": SERVICE_MODES, "priority": PRIORITIES, "state": states,
        "action": actions, "notify": NOTIFICATIONS, "refused": REFUSALS,
        "escalation.reason": escalation.REASONS, "escalation.level": [str(n) for n in escalation.LEVELS],
    }  # fmt: skip


def vocabulary_keys() -> set[str]:
    return {f"ticket.{group}.{code}" for group, codes in vocabulary().items() for code in codes}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_both_catalogs_name_every_code_and_nothing_else(lang):
    """The vocabulary's groups (the console's own ``ticket.*`` words, e.g. ``ticket.error.*``, are not codes)."""
    catalog = json.loads((WEB / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    prefixes = tuple(f"ticket.{group}." for group in vocabulary())
    ours = {k for k in catalog if k.startswith(prefixes)}
    assert ours == vocabulary_keys()
    assert all(catalog[k].strip() for k in ours)
    params = {"workflow", "state", "target", "role", "action"}
    for code in REFUSALS:
        text = catalog[f"ticket.refused.{code}"]
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        assert names <= params, (lang, code)
        text.format(**dict.fromkeys(params, "x"))


def test_the_chinese_words_of_the_trade():
    zh = json.loads((WEB / "i18n" / "zh.json").read_text(encoding="utf-8"))
    words = {
        "state.awaiting_repair": "待修", "state.in_repair": "修理中", "state.awaiting_parts": "待件",
        "state.hard_repair": "难修", "state.ready_for_pickup": "待取", "state.picked_up": "已取",
        "state.repair_stopped": "终止维修", "state.to_dispatch": "待派工", "state.dispatched": "已派工",
        "state.on_site": "已上门", "state.completed": "已完工", "state.closed": "已关闭",
        "state.cancelled": "已取消", "state.pending": "待处理", "state.processing": "处理中",
        "state.resolved": "已解决", "state.reopened": "重开", "type.repair": "报修", "type.installation": "安装",
        "type.delivery": "送货/调换货", "type.complaint": "投诉", "type.enquiry": "咨询", "type.praise": "赞誉",
        "mode.carry_in": "送修", "mode.on_site": "上门", "priority.low": "低", "priority.normal": "普通",
        "priority.high": "高", "priority.urgent": "加急", "notify.repaired": "修复通知",
        "notify.parts_arrived": "到货通知", "notify.repair_extended": "延长维修周期通知",
        "notify.awaiting_parts": "维修待件通知", "escalation.level.1": "主管", "escalation.level.2": "经理",
    }  # fmt: skip
    assert {k: zh[f"ticket.{k}"] for k in words} == words


def test_the_workflows_know_every_login_role():
    from cti.users.models import ROLES as LOGIN_ROLES

    assert ROLES == LOGIN_ROLES
