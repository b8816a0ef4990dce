"""The dialer through the PBX simulator over TCP (SQLite file and PostgreSQL): a due contact is claimed
and dialled once with its attempt's ActionID, and what the PBX did lands on the contact — answered
(+8613800138000 answers), busy (+8613700000001, Hangup cause 17 as recorded: tried again 10 minutes
later), an unallocated number (cause 1: never again); without a PBX the claim is released, nothing dialled;
a clock jump; 500 contacts due at once never hold more lines than the campaign has, at the PBX or in our tables."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from ami_support import eventually, no_leaks, sim  # noqa: F401  (fixtures)
from cti.campaigns.models import Campaign, CampaignAttempt, CampaignContact

pytestmark = pytest.mark.usefixtures("no_leaks")
ANSWERS, BUSY, UNALLOCATED = "+8613800138000", "+8613700000001", "+8613700000005"
ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}


async def add_campaign(db, numbers: list[str], now: dt.datetime) -> int:
    async with db.session() as s:
        row = Campaign(name="回访测试", kind="survey", state="running", window=ALWAYS, context="survey",
                       dial="PJSIP/{number}@carrier", caller_id="Customer Care <4008001234>", per_minute=6000,
                       max_concurrent=10)
        s.add(row)
        await s.flush()
        for e164 in numbers:
            s.add(CampaignContact(campaign_id=row.id, e164=e164, next_at=now))
        await s.commit()
        return row.id


async def contacts(db) -> dict[str, CampaignContact]:
    async with db.session() as s:
        return {c.e164: c for c in await s.scalars(select(CampaignContact))}


async def settled(db, timeout: float = 20.0) -> dict[str, CampaignContact]:
    """The contacts once none is on the line any more (the outcomes arrive as the PBX's events)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await contacts(db)
        if all(c.state != "dialling" for c in found.values()):
            return found
        assert asyncio.get_running_loop().time() < deadline, {n: c.state for n, c in found.items()}
        await asyncio.sleep(0.05)


async def test_each_due_contact_is_dialled_once_and_its_outcome_lands(service, sim, db):
    now = service.clock()
    await add_campaign(db, [ANSWERS, BUSY, UNALLOCATED], now)

    assert await service.dialer.tick() == 3
    assert await service.dialer.tick() == 0  # nothing more is due: nobody is dialled twice

    found = await settled(db)
    assert (found[ANSWERS].state, found[ANSWERS].outcome) == ("done", "answered")
    assert (found[BUSY].state, found[BUSY].outcome) == ("pending", "busy")
    assert found[BUSY].next_at == now + dt.timedelta(minutes=10)
    assert (found[UNALLOCATED].state, found[UNALLOCATED].outcome) == ("exhausted", "invalid_number")

    originates = sim.actions_named("Originate")
    assert sorted(dict(a["fields"])["Channel"] for a in originates) == sorted(
        f"PJSIP/{n}@carrier" for n in (ANSWERS, BUSY, UNALLOCATED))
    async with db.session() as s:
        attempts = {a.action_id: a for a in await s.scalars(select(CampaignAttempt))}
    assert sorted(dict(a["fields"])["ActionID"] for a in originates) == sorted(attempts)
    assert all(dict(a["fields"])["Async"] == "true" for a in originates)
    busy = attempts[f"cti-{found[BUSY].id}-1"]
    assert (busy.state, busy.cause) == ("ended", 17)

    service.clock.now = now + dt.timedelta(minutes=10)  # the busy number's retry falls due
    assert await service.dialer.tick() == 1
    assert len(sim.actions_named("Originate")) == 4


async def test_without_a_pbx_the_claim_is_released_and_nothing_is_dialled(service, sim, db):
    now = service.clock()
    await add_campaign(db, [ANSWERS], now)
    await sim.stop()  # the PBX goes away
    await eventually(lambda: not service.bridge.synced, what="disconnected")

    assert await service.dialer.tick() == 1
    (only,) = (await contacts(db)).values()
    assert (only.state, only.attempts, only.next_at) == ("pending", 0, now + dt.timedelta(seconds=30))
    async with db.session() as s:
        assert list(await s.scalars(select(CampaignAttempt))) == []


async def test_a_clock_jump_forward_or_back_dials_nobody_twice_and_nobody_outside_the_window(service, sim, db):
    """Calling hours 09:00-21:00 in the callee's time (Shanghai); the service's clock jumps an hour forward,
    an hour back, then past the window's end and into the next morning."""
    shanghai = dt.timezone(dt.timedelta(hours=8))
    at = lambda day, hh, mm, ss=0: dt.datetime(2026, 12, day, hh, mm, ss, tzinfo=shanghai)  # noqa: E731
    a, b, c, d = ANSWERS, "+8613912345678", "+8618612345678", "+8613500001111"  # all answer
    async with db.session() as s:
        campaign = Campaign(name="通知", kind="list", state="running", context="hotline-callback", per_minute=60,
                            window={str(day): [["09:00", "21:00"]] for day in range(7)}, max_concurrent=10,
                            dial="PJSIP/{number}@carrier", caller_id="Customer Care <4008001234>", queue="support")
        s.add(campaign)
        await s.flush()
        due = {a: at(2, 19, 58), b: at(2, 20, 10), c: at(2, 21, 10)}
        s.add_all([CampaignContact(campaign_id=campaign.id, e164=n, next_at=t) for n, t in due.items()])
        await s.commit()
        campaign_id = campaign.id

    async def dial_at(moment: dt.datetime) -> int:
        service.clock.now = moment
        claimed = await service.dialer.tick()
        await settled(db)
        return claimed

    assert await dial_at(at(2, 19, 59)) == 1  # a
    assert await dial_at(at(2, 20, 59)) == 1  # +1 h: b (20:10) is due and the window is open
    async with db.session() as s:  # after the clock went back, a contact due "now" is added (e.g. a callback)
        s.add(CampaignContact(campaign_id=campaign_id, e164=d, next_at=at(2, 19, 59, 10)))
        await s.commit()
    assert await dial_at(at(2, 19, 59, 30)) == 1  # -1 h: d is dialled (pacing goes on); a and b are not again
    assert await dial_at(at(2, 20, 0)) == 0
    assert await dial_at(at(2, 21, 30)) == 0  # c is due but the window has closed: moved to the morning
    found = await contacts(db)
    assert found[c].next_at == at(3, 9, 0)
    assert await dial_at(at(2, 19, 59, 40)) == 0  # back again: c waits for the morning
    assert await dial_at(at(3, 9, 0)) == 1  # c

    dialled = [dict(x["fields"])["Channel"] for x in sim.actions_named("Originate")]
    assert sorted(dialled) == sorted(f"PJSIP/{n}@carrier" for n in (a, b, c, d))  # each once
    assert all(found.state == "done" for found in (await contacts(db)).values())


async def test_500_due_contacts_are_dialled_once_each_and_the_lines_are_never_exceeded_at_the_pbx(service, sim, db):
    """500 contacts due at once on 12 lines; each call rings 2 s and talks 3 s at the PBX (100× real time).
    Watched from both sides: the calls the simulator holds at any moment, and each attempt's time on a
    line in our tables (claimed → ended)."""
    lines, numbers = 12, [f"+86139{n:08d}" for n in range(500)]
    async with db.session() as s:
        campaign = Campaign(name="到货通知", kind="list", state="running", window=ALWAYS, context="hotline-callback",
                            dial="PJSIP/{number}@carrier", caller_id="Customer Care <4008001234>", per_minute=60000,
                            max_concurrent=lines, queue="support")
        s.add(campaign)
        await s.flush()
        now = service.clock()
        s.add_all([CampaignContact(campaign_id=campaign.id, e164=n, next_at=now) for n in numbers])
        await s.commit()

    most_at_the_pbx = 0

    async def watch_the_pbx() -> None:
        nonlocal most_at_the_pbx
        while True:
            most_at_the_pbx = max(most_at_the_pbx, len(sim.active_calls()))
            await asyncio.sleep(0.002)

    watcher = asyncio.create_task(watch_the_pbx())
    try:
        deadline = asyncio.get_running_loop().time() + 120
        while len(sim.actions_named("Originate")) < len(numbers):
            service.clock.now += dt.timedelta(seconds=1)  # the service's second: pacing and the lines' times
            await service.dialer.tick()  # besides the scheduler's own tick every (real) second
            await asyncio.sleep(0.02)
            assert asyncio.get_running_loop().time() < deadline, f"{len(sim.actions_named('Originate'))} dialled"
        found = await settled(db, timeout=60)
    finally:
        watcher.cancel()
    assert 1 < most_at_the_pbx <= lines
    dialled = [dict(x["fields"])["Channel"] for x in sim.actions_named("Originate")]
    assert sorted(dialled) == sorted(f"PJSIP/{n}@carrier" for n in numbers)  # each exactly once
    assert all(c.state == "done" and c.outcome == "answered" for c in found.values())
    async with db.session() as s:
        spans = [(a.claimed_at, a.ended_at) for a in await s.scalars(select(CampaignAttempt))]
    assert len(spans) == len(numbers) and all(end is not None for _, end in spans)
    assert most_on_lines(spans) <= lines


def most_on_lines(spans: list[tuple[dt.datetime, dt.datetime]]) -> int:
    """The largest number of attempts holding a line at the same moment (an end before a start at a tie)."""
    moments = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    busy = peak = 0
    for _, step in moments:
        busy += step
        peak = max(peak, busy)
    return peak


@pytest.mark.parametrize("dials", [True, False])
async def test_a_process_dials_by_itself_unless_told_not_to(db, sim, dials):
    """``CTI_CAMPAIGN_DIALER``: the scheduler's job dials a due contact within a second or two; a process
    set not to dial leaves it to the others."""
    from ami_support import ami_settings
    from cti.app import Service

    url = db.url.render_as_string(hide_password=False)
    svc = Service(settings=ami_settings(sim.port, database_url=url, campaign_dialer=dials), db=db)
    svc.wire()
    await svc.start()
    try:
        await eventually(lambda: svc.bridge.synced, what="connected")
        await add_campaign(db, [ANSWERS], dt.datetime.now(dt.UTC))
        await asyncio.sleep(2.5)
        assert len(sim.actions_named("Originate")) == (1 if dials else 0)
        assert ("campaign_dialer" in svc.scheduler.status()["jobs"]) is dials
    finally:
        await svc.stop()
