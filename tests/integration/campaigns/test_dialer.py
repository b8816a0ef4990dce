"""The dialer through the PBX simulator over TCP (SQLite file and PostgreSQL): a due contact is claimed
and dialled once with its attempt's ActionID, and what the PBX did lands on the contact — answered
(+8613800138000 answers), busy (+8613700000001, Hangup cause 17 as recorded: tried again 10 minutes
later), an unallocated number (cause 1: never again); without a PBX the claim is released, nothing dialled."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from ami_support import ami_settings, eventually, no_leaks, sim  # noqa: F401  (fixtures)
from cti.app import Service
from cti.campaigns.models import Campaign, CampaignAttempt, CampaignContact

pytestmark = pytest.mark.usefixtures("no_leaks")
ANSWERS, BUSY, UNALLOCATED = "+8613800138000", "+8613700000001", "+8613700000005"
ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def service(db, sim):
    url = db.url.render_as_string(hide_password=False)
    svc = Service(settings=ami_settings(sim.port, database_url=url), db=db, clock=Clock())
    svc.wire()
    await svc.start()
    await eventually(lambda: svc.bridge.synced, what="connected")
    yield svc
    await svc.stop()


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
