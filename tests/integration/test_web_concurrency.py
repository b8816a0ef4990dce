"""Many consoles logging in at once (SQLite and PostgreSQL): every login succeeds, none waits on a lock error."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from web_support import PASSWORD, login, web  # noqa: F401

from cti.users.models import WebSession

LOGINS = int(__import__("os").environ.get("LOGINS", "20"))


async def test_twenty_concurrent_logins_all_succeed(web):
    clients = [await web.client() for _ in range(LOGINS)]
    names = ("agent1", "agent2", "boss")

    async def one(i: int, client) -> int:
        resp = await login(client, names[i % len(names)], PASSWORD)
        return resp.status

    statuses = await asyncio.gather(*(one(i, c) for i, c in enumerate(clients)))
    assert statuses == [302] * LOGINS
    async with web.db.session() as s:
        live = await s.scalar(select(func.count()).select_from(WebSession).where(
            WebSession.user_id.is_not(None), WebSession.revoked_at.is_(None)))
    assert live == LOGINS
    for client in clients:  # every console can open its page with the new session
        assert (await client.get("/", allow_redirects=False)).status == 200
