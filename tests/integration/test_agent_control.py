"""Agents and the PBX from the console: a pause with its reason reaches the simulator as ``QueuePause``
and comes back as ``QueueMemberPause`` (the wallboard and the agent's own bar show it); a supervisor
pauses, resumes and logs out others, an agent only themself; queue log-in and log-out; refusals are
said and lose nothing; every action is audited with the PBX's answer; after-call work by itself.

The real console over HTTP, the simulator over TCP, a real database.
"""

from __future__ import annotations

import pytest
from ami_support import eventually, no_leaks  # noqa: F401  (fixtures)
from sqlalchemy import select
from floor_support import floor, linked, pbx  # noqa: F401  (fixtures)
from web_support import PASSWORD, page_token, receive, stop_web

from cti.audit.models import AuditEntry
from cti.users import service as users

pytestmark = pytest.mark.usefixtures("no_leaks")


async def post(client, path: str, **fields):
    token = await page_token(client, "/")
    resp = await client.post(path, data=fields, headers={"X-CSRF-Token": token, "Accept": "application/json"})
    return resp.status, await resp.json()


def sent(pbx, name: str) -> list[dict]:
    return [dict(a["fields"]) for a in pbx.actions_named(name)]


async def audit_rows(db) -> list[AuditEntry]:
    async with db.session() as s:
        return list(await s.scalars(select(AuditEntry).where(AuditEntry.entity == "queue_member").order_by(AuditEntry.id)))


async def test_an_agents_pause_reaches_the_pbx_with_its_reason_and_comes_back(floor, pbx, db):
    web, service = floor
    agent = await web.login("agent1")
    ws = await agent.ws_connect("/ws", headers={"Origin": web.origin})
    assert (await receive(ws))["type"] == "hello"
    snapshot = await receive(ws)
    assert snapshot["data"]["agent"]["agent"]["state"] == "available"

    status, body = await post(agent, "/agents/pause", reason="lunch")
    assert (status, body["ok"]) == (200, True)
    [pause] = sent(pbx, "QueuePause")
    assert (pause["Interface"], pause["Paused"], pause["Reason"]) == ("PJSIP/1001", "true", "lunch")
    assert "Queue" not in pause  # every queue the phone is in
    news = await receive(ws)
    while news["type"] != "agent":
        news = await receive(ws)
    assert news["data"]["agent"]["state"] == "paused" and news["data"]["agent"]["reason"] == "lunch"
    await ws.close()
    assert service.board.floor.agents["PJSIP/1001"].reason == "lunch"

    status, body = await post(agent, "/agents/unpause")
    assert status == 200
    await eventually(lambda: service.board.floor.agents["PJSIP/1001"].state == "available", what="resumed")
    [first, second] = await audit_rows(db)
    assert (first.actor, first.entity_id, first.action, first.after) == (
        "agent1", "PJSIP/1001", "pbx.pause", {"reason": "lunch", "pbx": "ok"})
    assert (second.action, second.after) == ("pbx.unpause", {"pbx": "ok"})


async def test_a_supervisor_pauses_and_resumes_an_agent_and_an_agent_may_not(floor, pbx, db):
    web, service = floor
    boss, agent = await web.login("boss"), await web.login("agent1")
    status, body = await post(agent, "/agents/pause", interface="PJSIP/1002", reason="lunch")
    assert status == 403 and body["ok"] is False and "自己的话机" in body["message"]
    assert sent(pbx, "QueuePause") == []

    status, _ = await post(boss, "/agents/pause", interface="PJSIP/1002", reason="training")
    assert status == 200
    await eventually(lambda: service.board.floor.agents["PJSIP/1002"].state == "paused", what="1002 paused")
    assert service.board.agent_view("PJSIP/1002")["reason"] == "training"
    status, _ = await post(boss, "/agents/unpause", interface="PJSIP/1002")
    assert status == 200
    await eventually(lambda: service.board.floor.agents["PJSIP/1002"].state == "available", what="1002 resumed")
    assert [(r.actor, r.entity_id, r.action) for r in await audit_rows(db)] == [
        ("boss", "PJSIP/1002", "pbx.pause"), ("boss", "PJSIP/1002", "pbx.unpause")]


async def test_refusals_are_said_and_nothing_is_sent(floor, pbx):
    web, _ = floor
    agent = await web.login("agent1")
    status, body = await post(agent, "/agents/pause", reason="nap")
    assert status == 400 and body["message"] == "请从列表中选择小休原因。"
    status, body = await post(agent, "/agents/login", queue="sales")
    assert status == 400 and body["message"] == "交换机上没有这个队列。"
    assert sent(pbx, "QueuePause") == [] and sent(pbx, "QueueAdd") == []
    status, body = await post(agent, "/agents/logout", queue="support")  # a static member of queues.conf
    assert status == 409 and body["message"] == "交换机拒绝：Member not dynamic"
    boss = await web.login("boss")  # no phone of their own
    status, body = await post(boss, "/agents/pause", reason="lunch")
    assert status == 400 and body["message"] == "此登录未绑定话机。"


async def test_a_phone_logs_in_to_a_queue_and_out_again(floor, pbx, db):
    web, service = floor
    async with db.session() as s:
        await users.create(s, username="agent4", password=PASSWORD, role="agent", interface="PJSIP/1004",
                           display_name="赵敏")
    agent = await web.login("agent4")
    status, body = await post(agent, "/agents/login", queue="support")
    assert status == 200, body
    [add] = sent(pbx, "QueueAdd")
    assert (add["Queue"], add["Interface"], add["MemberName"], add["Paused"]) == ("support", "PJSIP/1004", "赵敏", "false")
    await eventually(lambda: "PJSIP/1004" in service.board.floor.agents, what="1004 on the floor")
    assert service.board.agent_view("PJSIP/1004")["queues"] == ["support"]
    status, _ = await post(agent, "/agents/logout", queue="support")
    assert status == 200
    await eventually(lambda: "PJSIP/1004" not in service.board.floor.agents, what="1004 gone")
    assert [r.action for r in await audit_rows(db)] == ["pbx.login", "pbx.logout"]


async def test_without_the_pbx_nothing_changes_and_the_attempt_is_audited(db, pbx):
    web, service = await linked(db, pbx)
    try:
        agent = await web.login("agent1")
        await pbx.stop()
        await eventually(lambda: service.bridge.state != "connected", what="the PBX gone")
        status, body = await post(agent, "/agents/pause", reason="lunch")
        assert status == 503 and "未连接" in body["message"]
        [row] = await audit_rows(db)
        assert (row.action, row.after) == ("pbx.pause", {"reason": "lunch", "pbx": "no answer"})
    finally:
        await stop_web(web)


async def test_after_call_work_starts_after_a_call_and_ends_by_itself(db, pbx):
    web, service = await linked(db, pbx, wrap_up_seconds=1)
    try:
        await pbx.answered(agent="PJSIP/1003", only="PJSIP/1003", after=1, talk=10)
        await eventually(lambda: service.board.floor.agents["PJSIP/1003"].state == "wrap_up", what="1003 in wrap-up")
        assert sent(pbx, "QueuePause")[0] == {"Action": "QueuePause", "Interface": "PJSIP/1003", "Paused": "true",
                                             "Reason": "after-call work", "ActionID": sent(pbx, "QueuePause")[0]["ActionID"]}
        await eventually(lambda: service.board.floor.agents["PJSIP/1003"].state == "available", timeout=5,
                         what="1003 available again")
        figures = service.board.today.agent("PJSIP/1003")
        assert figures.answered == 1 and figures.aht >= 10 + 1  # the talk and the wrap-up
        assert await audit_rows(db) == []  # the service's own, not a person's action
    finally:
        await stop_web(web)
