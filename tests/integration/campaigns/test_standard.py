"""The campaigns every hotline starts with, and the demo's: created once, never again."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from cti import demo
from cti.campaigns import demo as campaign_demo
from cti.campaigns.models import Campaign, CampaignContact
from cti.campaigns.standard import STANDARD, ensure_standard
from cti.customers.demo import generate

NOW = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)


async def campaigns(db) -> dict[str, Campaign]:
    async with db.session() as s:
        return {c.feed: c for c in await s.scalars(select(Campaign))}


async def test_the_standard_campaigns_are_created_once_and_a_stopped_one_is_not_brought_back(db):
    assert len(await db.write(ensure_standard, NOW)) == 4
    made = await campaigns(db)
    assert {f: (c.kind, c.state, c.context) for f, c in made.items()} == {
        "abandoned": ("callback", "running", "hotline-callback"), "scheduled": ("callback", "running", "hotline-callback"),
        "resolved": ("survey", "running", "hotline-survey"), "notifications": ("notification", "draft", "hotline-notify")}
    assert made["resolved"].rules["delay_minutes"] == 120 and made["abandoned"].rules["min_wait_seconds"] == 10
    assert made["resolved"].window["6"] == [["09:00", "20:00"]] and not made["resolved"].allow_holidays
    async with db.session() as s:
        (await s.get(Campaign, made["abandoned"].id)).state = "finished"
        await s.commit()
    assert await db.write(ensure_standard, NOW) == []
    assert len(await campaigns(db)) == 4


async def test_the_demo_adds_follow_ups_and_callbacks_once_and_starts_the_notifications(db):
    data = generate(today=NOW.date())
    await demo.seed(db, data)
    await db.write(ensure_standard, NOW)
    added = await db.write(campaign_demo.seed, NOW)
    assert added >= 3
    assert await db.write(campaign_demo.seed, NOW) == 0
    made = await campaigns(db)
    assert made["notifications"].state == "running" and made["resolved"].caller_id == campaign_demo.CALLER_ID
    async with db.session() as s:
        contacts = list(await s.scalars(select(CampaignContact)))
    follow_ups = [c for c in contacts if c.source == "resolved"]
    assert follow_ups and all(c.ticket_id and NOW < c.next_at <= NOW + dt.timedelta(minutes=7) for c in follow_ups)
    assert sum(c.source == "agent" for c in contacts) == 2


async def test_two_services_starting_together_create_the_standard_campaigns_once(db, database_url):
    """The first service's campaigns not yet committed when the second looks: the second must not fail
    (on PostgreSQL its insert meets the unique name at the first's commit) nor create them twice."""
    from cti.cli_serve import _standard_campaigns
    from cti.store.engine import Database

    second = Database(database_url)
    try:
        async with db.session() as first:
            ensure = await first.run_sync(ensure_standard, NOW)  # the first service, not committed yet
            assert len(ensure) == 4
            await first.flush()
            starting = asyncio.create_task(_standard_campaigns(second))
            await asyncio.sleep(0.5)  # the second service has looked and is waiting for the first
            await first.commit()
        await asyncio.wait_for(starting, 20)
    finally:
        await second.close()
    made = await campaigns(db)
    assert sorted(c.name for c in made.values()) == sorted(s["name"] for s in STANDARD)
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Campaign)) == 4
