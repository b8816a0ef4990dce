"""Two service processes (``cti serve`` twice) on one database and one PBX dial each contact once and
never exceed the campaign's lines between them: claims are taken in the database, and each outcome,
seen by both processes' trackers, lands once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from cti.campaigns.models import Campaign, CampaignAttempt, CampaignContact
from tests.integration.campaigns.serving import ServeProcess, until

CONTACTS = 150
LINES = 60  # more than one dialer takes in a round (50): the second process always finds lines free
ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}


@pytest.fixture
def two(database_url, pbx, tmp_path):
    processes = [ServeProcess(database_url, pbx.port, tmp_path, name=f"serve{n}") for n in (1, 2)]
    yield processes
    for process in processes:
        process.stop()


def most_at_once(spans: list[tuple[dt.datetime, dt.datetime]]) -> int:
    """The largest number of attempts holding a line at the same moment."""
    moments = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans], key=lambda m: (m[0], m[1]))
    busy = peak = 0
    for _, step in moments:
        busy += step
        peak = max(peak, busy)
    return peak


async def test_two_processes_dial_each_contact_once_within_the_campaigns_lines(db, pbx, two):
    numbers = [f"+86135{n:08d}" for n in range(CONTACTS)]  # every one answers (the simulator's default)
    async with db.session() as s:
        campaign = Campaign(name="通知", kind="list", state="draft", window=ALWAYS, context="hotline-notify",
                            dial="PJSIP/{number}@carrier", caller_id='"Customer Care" <4008001234>',
                            per_minute=6000, max_concurrent=LINES, queue="support")
        s.add(campaign)
        await s.flush()
        now = dt.datetime.now(dt.UTC)
        s.add_all([CampaignContact(campaign_id=campaign.id, e164=n, next_at=now, data={"notice": "repaired"})
                   for n in numbers])
        await s.commit()
        campaign_id = campaign.id
    for process in two:
        process.start()

    async def both_connected():
        return len(pbx.actions_named("CoreShowChannels")) >= 2

    await until(both_connected, 60, "both services to connect")
    async with db.session() as s:  # both are up and dialling; now the campaign runs
        (await s.get(Campaign, campaign_id)).state = "running"
        await s.commit()

    async def all_over():  # every contact done and every call over (its line free)
        async with db.session() as s:
            done = await s.scalar(select(func.count()).select_from(CampaignContact)
                                  .where(CampaignContact.state == "done"))
            ended = await s.scalar(select(func.count()).select_from(CampaignAttempt)
                                   .where(CampaignAttempt.state == "ended"))
            return done == ended == CONTACTS

    await until(all_over, 120, f"{CONTACTS} contacts to be called")
    dialled = [dict(a["fields"])["Channel"] for a in pbx.actions_named("Originate")]
    assert sorted(dialled) == sorted(f"PJSIP/{n}@carrier" for n in numbers)  # each exactly once
    async with db.session() as s:
        attempts = (await s.scalars(select(CampaignAttempt))).all()
    assert len(attempts) == CONTACTS and all(a.state == "ended" and a.outcome == "answered" for a in attempts)
    assert len({a.claimed_by for a in attempts}) == 2  # both processes dialled
    assert most_at_once([(a.claimed_at, a.ended_at) for a in attempts]) <= LINES
