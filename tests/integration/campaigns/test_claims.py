"""Claiming due contacts on a real database (SQLite file and PostgreSQL): never more lines than the
campaign has, each contact handed out once even to two claiming processes, the do-not-call list and
the calling window checked at claim time, pacing, and each outcome landing once."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from cti.campaigns import claims
from cti.campaigns.models import Campaign, CampaignAttempt, CampaignContact, DoNotCall
from cti.store import Database
from cti.tickets.calendar import ChinaHolidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)
WINDOW = {str(d): [["09:00", "20:00"]] for d in range(7)}
HOLIDAYS = ChinaHolidays()


async def campaign(db, *, contacts: int = 0, max_concurrent: int = 5, per_minute: float = 6000, retry=None,
                   numbers=None) -> int:
    async with db.session() as s:
        row = Campaign(name=f"回访 {max_concurrent}/{contacts}", kind="survey", state="running", window=WINDOW,
                       max_concurrent=max_concurrent, per_minute=per_minute, retry=retry or {})
        s.add(row)
        await s.flush()
        for n, e164 in enumerate(numbers or [f"+86138{n:08d}" for n in range(contacts)]):
            s.add(CampaignContact(campaign_id=row.id, e164=e164, next_at=TUESDAY_10 - dt.timedelta(minutes=n % 7)))
        await s.commit()
        return row.id


async def claim(db, now=TUESDAY_10, limit=100) -> list[claims.Claim]:
    return await db.write(claims.claim_due, now, holidays=HOLIDAYS, default_zone="Asia/Shanghai", limit=limit)


async def busy(db, campaign_id: int) -> int:
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(CampaignAttempt).where(
            CampaignAttempt.campaign_id == campaign_id, CampaignAttempt.state.in_(("claimed", "dialled"))))


async def contact(db, contact_id: int) -> CampaignContact:
    async with db.session() as s:
        return await s.get(CampaignContact, contact_id)


async def outcome(db, action_id: str, what: str, now=TUESDAY_10):
    return await db.write(claims.record_outcome, action_id, what, now, holidays=HOLIDAYS, default_zone="Asia/Shanghai")


async def test_the_lines_of_a_campaign_are_never_exceeded_with_500_contacts_due(db):
    cid = await campaign(db, contacts=500, max_concurrent=7)
    seen: set[str] = set()
    now = TUESDAY_10
    for _ in range(120):
        got = await claim(db, now)
        assert await busy(db, cid) <= 7
        seen.update(c.action_id for c in got)
        for c in got[: len(got) // 2 + 1]:  # some end, freeing lines; the rest stay on the line
            await outcome(db, c.action_id, "answered", now)
        now += dt.timedelta(seconds=1)
    async with db.session() as s:
        attempts = await s.scalar(select(func.count()).select_from(CampaignAttempt))
        dialling = await s.scalar(select(func.count()).select_from(CampaignContact).where(CampaignContact.state == "dialling"))
    assert attempts == len(seen) > 100 and dialling == await busy(db, cid) <= 7


async def test_two_processes_claiming_at_once_hand_each_contact_out_once(db, database_url):
    cid = await campaign(db, contacts=60, max_concurrent=50)
    other = Database(database_url)  # the second process: its own engine and connections
    try:
        rounds = await asyncio.gather(*(claim(d, limit=10) for _ in range(4) for d in (db, other)))
    finally:
        await other.close()
    handed = [c.contact_id for got in rounds for c in got]
    assert len(handed) == len(set(handed)) > 0
    assert await busy(db, cid) == len(handed) <= 50


async def test_a_number_put_on_the_do_not_call_list_after_it_was_scheduled_is_not_dialled(db):
    await campaign(db, numbers=["+8613800000001", "+8613800000002"])
    async with db.session() as s:
        s.add(DoNotCall(e164="+8613800000002", source="survey"))
        await s.commit()

    got = await claim(db)
    assert [c.e164 for c in got] == ["+8613800000001"]
    async with db.session() as s:
        closed = await s.scalar(select(CampaignContact).where(CampaignContact.e164 == "+8613800000002"))
    assert (closed.state, closed.outcome, closed.next_at) == ("do_not_call", "do_not_call", None)
    assert await claim(db, TUESDAY_10 + dt.timedelta(hours=1)) == []


async def test_a_contact_due_at_night_in_its_own_zone_waits_for_the_window(db):
    await campaign(db, numbers=["+14155550100", "+8613800000001"])  # 10:00 in Shanghai is 18:00 in San Francisco
    night = dt.datetime(2026, 12, 1, 22, 30, tzinfo=SHANGHAI).astimezone(dt.UTC)  # 06:30 in San Francisco

    assert [c.e164 for c in await claim(db, night)] == []  # 22:30 in Shanghai: closed there too
    async with db.session() as s:
        waiting = {c.e164: c.next_at for c in await s.scalars(select(CampaignContact))}
    assert waiting["+14155550100"].astimezone(ZoneInfo("America/Los_Angeles")).hour == 9
    assert waiting["+8613800000001"].astimezone(SHANGHAI) == dt.datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)


async def test_pacing_spaces_the_claims(db):
    await campaign(db, contacts=10, max_concurrent=10, per_minute=6)  # one each 10 s
    assert len(await claim(db)) == 1
    assert len(await claim(db, TUESDAY_10 + dt.timedelta(seconds=5))) == 0
    assert len(await claim(db, TUESDAY_10 + dt.timedelta(seconds=10))) == 1
    assert len(await claim(db, TUESDAY_10 + dt.timedelta(seconds=40))) == 3


async def test_an_outcome_lands_once_and_the_contact_is_retried_by_the_policy_until_exhausted(db):
    await campaign(db, numbers=["+8613800000001"], retry={"busy": [600, 2]})
    (first,) = await claim(db)
    moved = await outcome(db, first.action_id, "busy")
    assert moved["state"] == "pending" and moved["next_at"] == TUESDAY_10 + dt.timedelta(minutes=10)
    assert await outcome(db, first.action_id, "busy") is None  # the same result again: nothing happens
    assert await claim(db, TUESDAY_10 + dt.timedelta(minutes=9)) == []

    (second,) = await claim(db, TUESDAY_10 + dt.timedelta(minutes=10))
    assert (second.number, second.action_id) == (2, f"cti-{first.contact_id}-2")
    assert (await outcome(db, second.action_id, "busy"))["state"] == "exhausted"
    assert await claim(db, TUESDAY_10 + dt.timedelta(days=1)) == []


async def test_an_attempt_whose_fate_is_unknown_is_never_dialled_again(db):
    await campaign(db, numbers=["+8613800000001"])
    (first,) = await claim(db)
    assert (await outcome(db, first.action_id, "unknown"))["state"] == "unknown"
    assert await claim(db, TUESDAY_10 + dt.timedelta(days=1)) == []
    assert (await contact(db, first.contact_id)).attempts == 1


async def test_the_dialers_look_finds_a_due_contact_in_any_running_campaign_and_nothing_else(db):
    """``anything_due``: the one read the dialer makes every second before any write."""
    async def due(now=TUESDAY_10) -> bool:
        return await db.read(claims.anything_due, now)

    first, second = await campaign(db, contacts=0), await campaign(db, contacts=0, max_concurrent=6)
    assert not await due()
    async with db.session() as s:
        s.add_all([CampaignContact(campaign_id=first, e164="+8613800000001", next_at=TUESDAY_10 + dt.timedelta(hours=1)),
                   CampaignContact(campaign_id=second, e164="+8613800000002", next_at=TUESDAY_10,
                                   owner_until=TUESDAY_10 + dt.timedelta(minutes=30))])
        await s.commit()
    assert not await due()  # the first's is not due yet; the second's is its owner's for 30 minutes
    assert await due(TUESDAY_10 + dt.timedelta(minutes=30))  # then anyone's: the second campaign has one due
    async with db.session() as s:
        (await s.get(Campaign, second)).state = "paused"
        await s.commit()
    assert not await due(TUESDAY_10 + dt.timedelta(minutes=30))
    assert await due(TUESDAY_10 + dt.timedelta(hours=1))  # the first campaign's contact
    async with db.session() as s:
        (await s.get(Campaign, first)).mode = "preview"  # an agent starts those calls, not the dialer
        await s.commit()
    assert not await due(TUESDAY_10 + dt.timedelta(hours=1))
