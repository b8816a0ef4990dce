"""Builders for the settings pages' tests: an administrator's console on a clock the test sets, what a
page says as a reader reads it, and the audit rows the administrator wrote."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import select
from web_support import PASSWORD, page_token

from cti.audit.models import AuditEntry
from cti.http import keys
from cti.users import service as users
from tests.integration.tickets.support import Clock, local

MONDAY_10 = local(2026, 11, 30, 10, 0)  # a working Monday in Shanghai, inside the holiday data's years


def text_of(page: str) -> str:
    """The page's text as a reader sees it (tags out, entities decoded, spaces collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def set_clock(web, now: dt.datetime = MONDAY_10) -> Clock:
    """The desk's "now" (ticket openings, SLA clocks, the calendar page's months) is ``now``."""
    clock = Clock(now)
    web.app[keys.SERVICE].tickets.clock = clock
    return clock


async def admin(web, username: str = "root"):
    """An administrator, logged in."""
    async with web.db.session() as s:
        await users.create(s, username=username, password=PASSWORD, role="admin", display_name="系统管理员")
    return await web.login(username)


async def post(client, path: str, data: dict, *, token_from: str = "/admin/sla"):
    """A form posted with the page's CSRF token, the redirect not followed."""
    token = await page_token(client, token_from)
    return await client.post(path, data=dict(data, csrf_token=token), allow_redirects=False)


async def audit_rows(web, actor: str = "root") -> list[AuditEntry]:
    async with web.db.session() as s:
        return list(await s.scalars(select(AuditEntry).where(AuditEntry.actor == actor).order_by(AuditEntry.id)))
