"""The organisation tree over HTTP with the simulator: a supervisor sees and controls the people and queues
of their branch and below, not others' (the wallboard's channel, pausing an agent), for every role and
branch; the administrators' pages build the tree, place people and set a queue's targets, refusing what
would break it."""

from __future__ import annotations

import pytest
from ami_support import eventually, no_leaks  # noqa: F401  (fixtures)
from floor_support import linked, pbx  # noqa: F401  (fixture)
from web_support import PASSWORD, page_token, stop_web

from cti.audit.models import AuditEntry
from cti.org.models import OrgUnit
from cti.users import service as users
from sqlalchemy import select

pytestmark = pytest.mark.usefixtures("no_leaks")
JSON = {"Accept": "application/json"}


@pytest.fixture
async def org(db, pbx):
    """East (with Shanghai below it) and West; agent1 (PJSIP/1001) in Shanghai, agent2 (PJSIP/1002) in West,
    PJSIP/1003 bound to no login; supervisors: east (East), west (West), boss (head office)."""
    web, service = await linked(db, pbx)
    async with db.session() as s:
        await users.create(s, username="admin", password=PASSWORD, role="admin", interface=None, display_name="管理员")
        for name in ("east", "west"):
            await users.create(s, username=name, password=PASSWORD, role="supervisor", interface=None,
                               display_name=name)
    admin = await web.login("admin")
    units = {}
    for name, parent in (("华东", None), ("上海", "华东"), ("华西", None)):
        resp = await post(admin, "/admin/org", "/admin/org", name=name, parent_id=str(units.get(parent, "")))
        assert resp.status == 303, await resp.text()
        async with db.session() as s:
            units[name] = (await s.scalars(select(OrgUnit.id).where(OrgUnit.name == name))).one()
    ids = await user_ids(db)
    for username, unit in (("agent1", "上海"), ("agent2", "华西"), ("east", "华东"), ("west", "华西")):
        resp = await post(admin, f"/admin/users/{ids[username]}/unit", "/admin/users", org_unit_id=str(units[unit]))
        assert resp.status == 303
    await service.board.refresh_counts()
    try:
        yield web, service, admin, units
    finally:
        await stop_web(web)


async def user_ids(db) -> dict[str, int]:
    async with db.session() as s:
        return {u.username: u.id for u in await users.all_users(s)}


async def post(client, path: str, token_from: str, **form):
    token = await page_token(client, token_from)
    return await client.post(path, data=dict(form, csrf_token=token), allow_redirects=False)


async def snapshot(web, client) -> dict:
    ws = await client.ws_connect("/wallboard/ws", headers={"Origin": web.origin})
    msg = await ws.receive_json(timeout=3)
    await ws.close()
    assert msg["type"] == "snapshot"
    return msg["data"]


async def test_a_supervisor_sees_the_people_and_queues_of_their_branch_and_below(org, db):
    web, service, admin, units = org
    east, west, boss = await web.login("east"), await web.login("west"), await web.login("boss")
    await eventually(lambda: len(service.board.floor.agents) == 3, what="the floor")
    assert set((await snapshot(web, boss))["agents"]) == {"PJSIP/1001", "PJSIP/1002", "PJSIP/1003"}
    seen = await snapshot(web, east)
    assert set(seen["agents"]) == {"PJSIP/1001"} and seen["queues"] == {}  # support is the head office's
    assert set((await snapshot(web, west))["agents"]) == {"PJSIP/1002"}

    resp = await post(admin, "/admin/queues", "/admin/queues", queue="support", label="售后热线",
                      org_unit_id=str(units["华东"]), service_level_seconds="15", short_abandon_seconds="5",
                      service_level_amber="85", service_level_red="70", abandon_rate_amber="5", abandon_rate_red="10",
                      longest_wait_amber="30", longest_wait_red="60", waiting_amber="3", waiting_red="6",
                      asa_amber="20", asa_red="40")
    assert resp.status == 303, await resp.text()
    seen = await snapshot(web, east)
    assert seen["queues"]["support"]["label"] == "售后热线"
    assert set(seen["agents"]) == {"PJSIP/1001", "PJSIP/1003"}  # 1003 has no login: it goes with its queue
    assert service.board.targets("support").thresholds.service_level_seconds == 15
    assert (await snapshot(web, west))["queues"] == {}


# every role × whose phone: the status of a pause (no reason needed to be refused first: "lunch" is valid)
CASES = [
    ("agent1", "PJSIP/1001", 200),  # their own
    ("agent1", "PJSIP/1002", 403),  # a colleague's
    ("east", "PJSIP/1001", 200),  # Shanghai is below East
    ("east", "PJSIP/1002", 403),  # West's
    ("east", "PJSIP/1003", 403),  # a phone of no one: the head office's
    ("west", "PJSIP/1002", 200),
    ("west", "PJSIP/1001", 403),
    ("boss", "PJSIP/1003", 200),  # the head office: everything
    ("boss", "PJSIP/1002", 200),
]


@pytest.mark.parametrize(("username", "interface", "status"), CASES)
async def test_who_may_pause_whom(org, pbx, username, interface, status):
    web, service, _, _ = org
    client = await web.login(username)
    token = await page_token(client, "/")
    resp = await client.post("/agents/pause", data={"interface": interface, "reason": "lunch", "csrf_token": token},
                             headers=JSON)
    assert resp.status == status, await resp.text()
    paused = [dict(a["fields"])["Interface"] for a in pbx.actions_named("QueuePause")]
    assert paused == ([interface] if status == 200 else [])


async def test_the_tree_refuses_what_would_break_it_and_audits_what_it_does(org, db):
    web, _, admin, units = org
    resp = await post(admin, "/admin/org", "/admin/org", id=str(units["华东"]), name="华东", parent_id=str(units["上海"]))
    assert resp.status == 422 and "下级机构" in await resp.text()  # below itself
    resp = await post(admin, "/admin/org", "/admin/org", name="上海", parent_id="")
    assert resp.status == 422 and "已有同名机构" in await resp.text()
    resp = await post(admin, f"/admin/org/{units['华西']}/delete", "/admin/org")
    assert resp.status == 409 and "请先移走" in await resp.text()  # agent2 and west sit there
    resp = await post(admin, "/admin/queues", "/admin/queues", queue="support", service_level_seconds="abc",
                      short_abandon_seconds="5", service_level_amber="60", service_level_red="80",
                      abandon_rate_amber="5", abandon_rate_red="10", longest_wait_amber="30", longest_wait_red="60",
                      waiting_amber="3", waiting_red="6", asa_amber="20", asa_red="40")
    text = await resp.text()
    assert resp.status == 422 and "请输入 1 到 600 之间的数字" in text and "红色界限须比黄色更严重" in text
    async with db.session() as s:
        actions = [(e.entity, e.action) for e in await s.scalars(select(AuditEntry).where(
            AuditEntry.entity.in_(("org_unit", "user", "queue_setting"))).order_by(AuditEntry.id))]
    assert actions.count(("org_unit", "create")) == 3 and actions.count(("user", "place")) == 4
    assert ("queue_setting", "save") not in actions


async def test_a_queue_of_another_branch_cannot_be_joined(org, pbx, db):
    web, service, admin, units = org
    async with db.session() as s:
        await users.create(s, username="agent5", password=PASSWORD, role="agent", interface="PJSIP/1005",
                           display_name="孙五")
    ids = await user_ids(db)
    resp = await post(admin, f"/admin/users/{ids['agent5']}/unit", "/admin/users", org_unit_id=str(units["华西"]))
    assert resp.status == 303
    resp = await post(admin, "/admin/queues", "/admin/queues", queue="support", label="", org_unit_id=str(units["华东"]),
                      service_level_seconds="20", short_abandon_seconds="5", service_level_amber="80",
                      service_level_red="60", abandon_rate_amber="5", abandon_rate_red="10", longest_wait_amber="30",
                      longest_wait_red="60", waiting_amber="3", waiting_red="6", asa_amber="20", asa_red="40")
    assert resp.status == 303
    west_agent = await web.login("agent5")
    token = await page_token(west_agent, "/")
    resp = await west_agent.post("/agents/login", data={"queue": "support", "csrf_token": token}, headers=JSON)
    assert resp.status == 403  # support is East's now
    assert pbx.actions_named("QueueAdd") == []
