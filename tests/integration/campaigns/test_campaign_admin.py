"""Supervisors' units of work on a real database (SQLite file and PostgreSQL): a campaign created, changed
while it may be, started, paused, resumed and stopped — each audited with who did it, a refusal changing
nothing; a stop cancels who was waiting and leaves the calls on the line to finish; an unknown attempt
decided by a person, once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from cti.campaigns import admin, claims
from cti.campaigns.forms import CampaignError
from cti.campaigns.models import Campaign, CampaignContact
from cti.tickets.calendar import ChinaHolidays
from tests.integration.campaigns.support import (
    TUESDAY_10, add_attempt, add_contacts, audit_rows, contact, new_campaign, values,
)  # fmt: skip


async def campaign(db, campaign_id: int) -> Campaign:
    async with db.session() as s:
        return await s.get(Campaign, campaign_id)


async def test_a_campaign_is_created_as_a_draft_and_audited_with_its_settings(db):
    campaign_id = await new_campaign(db, caller_id='"Customer Care" <4008001234>', per_minute="12")
    row = await campaign(db, campaign_id)
    assert (row.state, row.kind, row.context, row.caller_id, row.per_minute, row.created_by) == (
        "draft", "survey", "hotline-survey", '"Customer Care" <4008001234>', 12.0, "boss")
    assert row.retry["busy"] == [600.0, 3] and row.window["6"] == [["09:00", "20:00"]]
    [entry] = await audit_rows(db, "campaign")
    assert (entry.actor, entry.entity_id, entry.action, entry.before) == ("boss", str(campaign_id), "create", None)
    assert entry.after["caller_id"] == '"Customer Care" <4008001234>' and entry.after["per_minute"] == 12.0


async def test_a_second_campaign_with_the_same_name_is_refused(db):
    await new_campaign(db)
    with pytest.raises(CampaignError) as refused:
        await new_campaign(db, name="十二月回访")
    assert (refused.value.code, refused.value.field) == ("name_taken", "name")
    async with db.session() as s:
        assert len(list(await s.scalars(select(Campaign)))) == 1


async def test_settings_change_in_draft_and_paused_only_and_the_audit_says_what_changed(db):
    campaign_id = await new_campaign(db)
    await db.write(admin.change_settings, campaign_id, values(per_minute="6", queue="support"), actor="lead", now=TUESDAY_10)
    entry = (await audit_rows(db, "campaign"))[-1]
    assert (entry.actor, entry.action, entry.before, entry.after) == (
        "lead", "update", {"per_minute": 30.0, "queue": ""}, {"per_minute": 6.0, "queue": "support"})

    await db.write(admin.transition, campaign_id, "start", actor="lead", now=TUESDAY_10)
    with pytest.raises(CampaignError) as refused:
        await db.write(admin.change_settings, campaign_id, values(per_minute="1"), actor="lead", now=TUESDAY_10)
    assert refused.value.code == "not_editable"
    await db.write(admin.transition, campaign_id, "pause", actor="lead", now=TUESDAY_10)
    with pytest.raises(CampaignError) as refused:
        await db.write(admin.change_settings, campaign_id, values(kind="notification"), actor="lead", now=TUESDAY_10)
    assert refused.value.code == "kind_fixed"
    await db.write(admin.change_settings, campaign_id, values(per_minute="1"), actor="lead", now=TUESDAY_10)
    assert (await campaign(db, campaign_id)).per_minute == 1.0


async def test_the_states_move_draft_running_paused_running_finished_each_audited(db):
    campaign_id = await new_campaign(db)
    for action, state in (("start", "running"), ("pause", "paused"), ("resume", "running"), ("stop", "finished")):
        moved = await db.write(admin.transition, campaign_id, action, actor="lead", now=TUESDAY_10)
        assert moved.state == state == (await campaign(db, campaign_id)).state
    actions = [(e.action, e.before, e.after) for e in await audit_rows(db, "campaign")][1:]
    assert actions == [("start", {"state": "draft"}, {"state": "running"}),
                       ("pause", {"state": "running"}, {"state": "paused"}),
                       ("resume", {"state": "paused"}, {"state": "running"}),
                       ("stop", {"state": "running"}, {"state": "finished", "cancelled": 0})]


@pytest.mark.parametrize(("state", "action"), [("draft", "pause"), ("draft", "resume"), ("draft", "stop"),
                                               ("running", "start"), ("running", "resume"), ("paused", "pause"),
                                               ("finished", "start"), ("finished", "resume"), ("finished", "stop")])
async def test_a_move_the_state_does_not_allow_is_refused_and_changes_nothing(db, state, action):
    campaign_id = await new_campaign(db, state=state)
    audited = len(await audit_rows(db))
    with pytest.raises(CampaignError) as refused:
        await db.write(admin.transition, campaign_id, action, actor="lead", now=TUESDAY_10)
    assert (refused.value.code, refused.value.problems[0].params) == ("bad_transition", {"action": action, "state": state})
    assert (await campaign(db, campaign_id)).state == state and len(await audit_rows(db)) == audited


async def test_a_campaign_whose_end_has_passed_cannot_start(db):
    campaign_id = await new_campaign(db, starts_at="2026-11-01T09:00", ends_at="2026-11-30T18:00")
    with pytest.raises(CampaignError) as refused:
        await db.write(admin.transition, campaign_id, "start", actor="lead", now=TUESDAY_10)
    assert refused.value.code == "already_ended" and (await campaign(db, campaign_id)).state == "draft"


async def test_a_stop_cancels_who_waits_and_the_calls_on_the_line_still_land(db):
    campaign_id = await new_campaign(db, state="running")  # 30 calls a minute: one claim at first
    (on_line,) = await add_contacts(db, campaign_id, [("+8613800000004", "pending", "")],
                                    now=TUESDAY_10 - dt.timedelta(minutes=1))
    waiting, done, _ = await add_contacts(db, campaign_id, [("+8613800000001", "pending", ""),
                                                            ("+8613800000002", "done", "answered"),
                                                            ("+8613800000003", "pending", "busy")])
    [claim] = await db.write(claims.claim_due, TUESDAY_10, holidays=ChinaHolidays(), default_zone="Asia/Shanghai")
    assert claim.contact_id == on_line
    stopped = await db.write(admin.transition, campaign_id, "stop", actor="lead", now=TUESDAY_10)
    assert stopped.cancelled == 2  # the two still pending; the one on the line is dialling
    assert [(await contact(db, i)).state for i in (waiting, done, on_line)] == ["cancelled", "done", "dialling"]
    landed = await db.write(claims.record_outcome, claim.action_id, "answered", TUESDAY_10 + dt.timedelta(minutes=1),
                            holidays=None, default_zone="Asia/Shanghai")
    assert landed["state"] == "done"
    assert (await audit_rows(db, "campaign"))[-1].after == {"state": "finished", "cancelled": 2}


async def test_an_unknown_contact_is_decided_once_by_a_person_and_audited(db):
    campaign_id = await new_campaign(db, state="paused")
    first, second = await add_contacts(db, campaign_id, [("+8613800000001", "unknown", "unknown"),
                                                         ("+8613800000002", "unknown", "unknown")], attempts=1)
    later = TUESDAY_10 + dt.timedelta(hours=1)
    await db.write(admin.decide, campaign_id, first, "done", actor="lead", now=later)
    await db.write(admin.decide, campaign_id, second, "redial", actor="lead", now=later)
    one, two = await contact(db, first), await contact(db, second)
    assert (one.state, one.next_at) == ("done", None)
    assert (two.state, two.next_at, two.attempts) == ("pending", later, 1)
    with pytest.raises(CampaignError) as refused:
        await db.write(admin.decide, campaign_id, first, "redial", actor="other", now=later)
    assert refused.value.code == "not_unknown" and (await contact(db, first)).state == "done"
    decided = [(e.actor, e.entity_id, e.action, e.after["state"]) for e in await audit_rows(db, "campaign_contact")]
    assert decided == [("lead", str(first), "decide_done", "done"), ("lead", str(second), "decide_redial", "pending")]


async def test_a_finished_campaigns_unknown_contact_can_be_closed_but_not_dialled_again(db):
    campaign_id = await new_campaign(db, state="finished")
    (unknown,) = await add_contacts(db, campaign_id, [("+8613800000001", "unknown", "unknown")])
    with pytest.raises(CampaignError) as refused:
        await db.write(admin.decide, campaign_id, unknown, "redial", actor="lead", now=TUESDAY_10)
    assert refused.value.code == "finished"
    await db.write(admin.decide, campaign_id, unknown, "done", actor="lead", now=TUESDAY_10)
    assert (await contact(db, unknown)).state == "done"


async def test_a_contact_of_another_campaign_is_not_found(db):
    mine, other = await new_campaign(db), await new_campaign(db, name="另一个")
    (theirs,) = await add_contacts(db, other, [("+8613800000001", "unknown", "unknown")])
    with pytest.raises(CampaignError) as refused:
        await db.write(admin.decide, mine, theirs, "done", actor="lead", now=TUESDAY_10)
    assert refused.value.code == "not_found"
    async with db.session() as s:
        assert (await s.get(CampaignContact, theirs)).state == "unknown"


async def test_attempts_claimed_before_the_stop_are_not_touched_by_it(db):
    campaign_id = await new_campaign(db, state="running")
    (c,) = await add_contacts(db, campaign_id, [("+8613800000001", "dialling", "")], attempts=1)
    await add_attempt(db, campaign_id, c, 1, state="dialled")
    await db.write(admin.transition, campaign_id, "stop", actor="lead", now=TUESDAY_10)
    assert (await contact(db, c)).state == "dialling"
