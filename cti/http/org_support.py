"""Where the person making a request sits in the organisation: their scope (their branch and below)."""

from __future__ import annotations

from aiohttp import web

from cti.http import keys
from cti.http.templating import USER_KEY
from cti.org import service as org
from cti.org.tree import EVERYTHING, Scope


async def scope_of(request: web.Request) -> Scope:
    user = request[USER_KEY]
    if user is None or user.org_unit_id is None:
        return EVERYTHING
    return await request.app[keys.DB].read(org.scope_of, user.org_unit_id)
