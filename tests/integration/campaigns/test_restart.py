"""Exactly once across a crash: the service is killed (SIGKILL) after its Originate reached the PBX and
before the PBX's response reached it; started again, it never dials that contact a second time — the
attempt is reconciled from the PBX (``Status`` by the ActionID variable) and the call log, and when
neither knows it any more it is left ``unknown`` for a person to decide.

Here the service is a real ``cti serve`` process on the test's database (a SQLite file, or PostgreSQL)
against the PBX simulator over TCP; the simulator holds everything it would write while the Originate
arrives ("silent"), so the kill falls exactly between the action and its response.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import subprocess
import sys

import pytest
from sqlalchemy import select

from cti.campaigns.models import Campaign, CampaignAttempt, CampaignContact
from pbxsim import SimConfig, Simulator, documented_classes
from tests.integration.campaigns.serving import ServeProcess, until

ZHANG = "+8613800138000"
ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}


@pytest.fixture
def serve(database_url, pbx, tmp_path):
    process = ServeProcess(database_url, pbx.port, tmp_path)
    yield process
    process.stop()


async def test_a_service_killed_between_originate_and_its_response_never_dials_that_contact_again(
        db, pbx, serve, tmp_path):
    async with db.session() as s:
        campaign = Campaign(name="回拨", kind="callback", state="running", window=ALWAYS, context="hotline-callback",
                            dial="PJSIP/{number}@carrier", caller_id='"Customer Care" <4008001234>', per_minute=600,
                            max_concurrent=5, queue="support")
        s.add(campaign)
        await s.commit()
        campaign_id = campaign.id

    serve.start()

    async def synced():  # the service logged in and read the PBX's channels
        return pbx.actions_named("CoreShowChannels")

    await until(synced, 60, "the service to connect to the PBX")
    pbx.go_silent(hold=True)  # from now on the PBX acts but its words wait: no Originate response gets out
    async with db.session() as s:
        s.add(CampaignContact(campaign_id=campaign_id, e164=ZHANG, next_at=dt.datetime.now(dt.UTC)))
        await s.commit()

    async def originated():
        return pbx.actions_named("Originate")

    (first,) = await until(originated, 30, "the dialer's Originate")
    serve.kill()  # between the Originate and its response
    pbx.resume()
    async with db.session() as s:
        (attempt,) = (await s.scalars(select(CampaignAttempt))).all()
    assert attempt.state == "claimed"  # the response never arrived: the attempt may or may not have rung
    assert dict(first["fields"])["ActionID"] == attempt.action_id

    serve.start()  # the operator (or systemd) starts it again

    async def settled():
        async with db.session() as s:
            contact = (await s.scalars(select(CampaignContact))).one()
            return contact if contact.state not in ("pending", "dialling") else None

    contact = await until(settled, 60, "the attempt to be reconciled")
    assert (contact.state, contact.outcome, contact.attempts) == ("unknown", "unknown", 1)
    await asyncio.sleep(3)  # the dialer keeps looking every second: still nobody is dialled again
    assert len(pbx.actions_named("Originate")) == 1
    async with db.session() as s:
        (attempt,) = (await s.scalars(select(CampaignAttempt))).all()
    assert attempt.state == "unknown"


# -- the PBX's word on a live call (the in-process service, its reconciler run by hand) ----------------------

@pytest.fixture
async def slow_pbx():
    """1/20 of real time: a customer answers in 0.1 s, an unanswered Originate gives up after 1.5 s."""
    sim = Simulator(SimConfig(port=0, time_scale=0.05, **documented_classes()))
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def live_service(db, slow_pbx):
    from ami_support import ami_settings, eventually

    from cti.app import Service

    url = db.url.render_as_string(hide_password=False)
    svc = Service(settings=ami_settings(slow_pbx.port, database_url=url), db=db)
    svc.wire()
    await svc.start()
    await eventually(lambda: svc.bridge.synced, what="connected")
    yield svc
    await svc.stop()


def gone_claimer() -> str:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                              check=True)
    return f"{socket.gethostname()}:{finished.stdout.strip()}"


async def test_attempts_of_a_dead_process_are_settled_from_the_calls_live_on_the_pbx(db, slow_pbx, live_service):
    pbx = slow_pbx
    talker, ringer = ZHANG, "+8613500001111"
    pbx.set_number(talker, talk=2000.0)  # answers after 2 s, then talks to an agent for a long while
    pbx.set_number(ringer, answer_after=2000.0)  # rings and rings
    async with db.session() as s:
        campaign = Campaign(name="回拨", kind="callback", state="running", window=ALWAYS, context="hotline-callback",
                            dial="PJSIP/{number}@carrier", caller_id='"Customer Care" <4008001234>', per_minute=6000,
                            max_concurrent=5, queue="support")
        s.add(campaign)
        await s.flush()
        s.add_all([CampaignContact(campaign_id=campaign.id, e164=n, next_at=dt.datetime.now(dt.UTC))
                   for n in (talker, ringer)])
        await s.commit()
    assert await live_service.dialer.tick() == 2
    await asyncio.sleep(0.5)  # the talker answered (2 s at 1/20 time) and is with an agent; the ringer rings
    dead = gone_claimer()
    async with db.session() as s:  # as if the process that placed them had died a minute ago
        for attempt in await s.scalars(select(CampaignAttempt)):
            attempt.claimed_by, attempt.claimed_at = dead, attempt.claimed_at - dt.timedelta(minutes=1)
        await s.commit()

    assert await live_service.reconciler.run() == 1
    async with db.session() as s:
        contacts = {c.e164: c for c in await s.scalars(select(CampaignContact))}
        attempts = {a.contact_id: a for a in await s.scalars(select(CampaignAttempt))}
    assert (contacts[talker].state, contacts[talker].outcome) == ("done", "answered")
    assert attempts[contacts[talker].id].call_id  # the live channel's call
    assert (contacts[ringer].state, attempts[contacts[ringer].id].state) == ("dialling", "dialled")  # still ringing
    assert [a for a in pbx.actions_named("Status") if dict(a["fields"]).get("Variables") == "CTI_ACTION_ID"]
    assert len(pbx.actions_named("Originate")) == 2
