"""The AMI process (CTI_AMI_PROCESS): the PBX connection, the framer and the call tracker in a child
process of their own, against the PBX simulator over TCP and a real database (SQLite file and
PostgreSQL): the calls arrive on the service's bus in order, the call log and the status are what
they are in one process, and a killed child is started again."""

from __future__ import annotations

import os
import signal

import pytest
from sqlalchemy import select

from ami_support import eventually, no_leaks, sim, watched_service  # noqa: F401  (fixtures)
from cti.calls.models import Call
from cti.events import AgentRinging, CallAnswered, CallEnded, CallOffered
from tests.integration.domains.helpers import add_customer

pytestmark = pytest.mark.usefixtures("no_leaks")
CALLER = "+8613800138000"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
async def service(db, sim):
    svc = await watched_service(db, sim.port, ami_process=True)
    await eventually(lambda: svc.bridge.synced, what="the AMI process connected and resynced")
    yield svc
    pid = svc.bridge.pid
    await svc.stop()
    await eventually(lambda: not _alive(pid), what="the AMI process ended with the service")


def _of_call(seen: list, call_id: str) -> list[str]:
    return [type(e).__name__ for e in seen if getattr(e, "call_id", None) == call_id]


async def test_a_call_arrives_on_the_services_bus_in_order_and_is_logged(service, sim, db):
    assert service.bridge.pid not in (None, os.getpid())
    customer = await add_customer(db, "王芳", CALLER)

    result = await sim.direct(agent="PJSIP/1001", after=1, talk=1, caller=CALLER, name="Wang Fang")
    call = result["linkedid"]
    await eventually(lambda: "CallEnded" in _of_call(service.seen, call), what="call ended")
    await service.bus.drain()

    names = _of_call(service.seen, call)
    order = [names.index(k.__name__) for k in (CallOffered, AgentRinging, CallAnswered, CallEnded)]
    assert order == sorted(order)  # the tracker's order, across the pipe
    async with db.session() as s:
        (row,) = list(await s.scalars(select(Call)))
    assert (row.call_id, row.disposition, row.customer_id, row.answered_by) == (call, "answered", customer.id,
                                                                               "PJSIP/1001")


async def test_status_is_the_child_bridges_with_its_process(service, sim, db):
    await sim.direct(agent="PJSIP/1001", after=1, talk=1, caller=CALLER)
    await eventually(lambda: service.bridge.status()["events_received"] > 0, what="the child's report")

    status = service.bridge.status()
    assert status["state"] == "connected" and status["resyncs"] >= 1
    assert status["tracker"]["errors"] == 0 and status["tracker"]["ignored"] == 0
    assert status["process"]["pid"] == service.bridge.pid and status["process"]["starts"] == 1
    assert status["process"]["events"] > 0


async def test_a_killed_ami_process_is_started_again_and_the_next_call_arrives(service, sim, db):
    first = service.bridge.pid
    os.kill(first, signal.SIGKILL)
    await eventually(lambda: service.bridge.pid not in (None, first) and service.bridge.synced, timeout=20,
                     what="a new AMI process, connected")

    result = await sim.direct(agent="PJSIP/1002", after=1, talk=1, caller="+8613900139000")
    await eventually(lambda: "CallEnded" in _of_call(service.seen, result["linkedid"]), what="the next call ended")
    process = service.bridge.status()["process"]
    assert (process["starts"], process["deaths"]) == (2, 1)
    assert not _alive(first)


async def test_actions_run_on_the_childs_connection_and_an_originates_outcome_arrives_as_events(service, sim, db):
    assert await service.bridge.gateway.ping() > 0
    await service.bridge.gateway.originate(channel="PJSIP/+8613700000001@carrier", context="callback", exten="s",
                                           caller_id="Customer Care <4008001234>", action_id="cb-7-1")
    await service.bridge.gateway.originate(channel="PJSIP/+8613800138000@carrier", context="survey", exten="s",
                                           variables={"CAMPAIGN": "csat"}, action_id="sv-9-1")

    failed = await eventually(lambda: [e for e in service.seen if type(e).__name__ == "OriginateFailed"],
                              what="OriginateFailed")
    assert [(e.action_id, e.cause) for e in failed] == [("cb-7-1", 17)]  # the busy number, as recorded
    (ended,) = await eventually(lambda: [e for e in service.seen if type(e) is CallEnded and e.action_id == "sv-9-1"],
                                what="the survey call ended")  # named by its OriginateResponse (no VarSet read)
    assert "CallOffered" in _of_call(service.seen, ended.call_id)
    (sent_once,) = [a for a in sim.actions_named("Originate") if dict(a["fields"])["ActionID"] == "sv-9-1"]
    assert dict(sent_once["fields"])["Async"] == "true"
    with pytest.raises(ValueError, match="contains ','"):  # an unsafe value: refused before anything is sent
        await service.bridge.gateway.originate(channel="PJSIP/1001", context="c", exten="s", action_id="x-1",
                                               variables={"NAME": "Zhang, San"})
    assert len(sim.actions_named("Originate")) == 2
