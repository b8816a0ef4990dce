"""What the field-service pages share: who acts, a message said once after a redirect, refusals
in the user's language, ids from the path and forms."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from cti.dispatch.rules import DispatchError
from cti.http import i18n, keys
from cti.http.templating import LANG_KEY, USER_KEY
from cti.tickets.desk import TicketDesk
from cti.tickets.service import Actor

FLASH = "dispatch_flash"
ENGINEERS = frozenset({"engineer"})  # the work list is the engineers' own


def actor(request: web.Request) -> Actor:
    user = request[USER_KEY]
    return Actor(user.username, user.role, user.id)


def desk(request: web.Request) -> TicketDesk:
    found = request.app[keys.SERVICE].tickets
    assert found is not None, "the service is wired before the app serves"
    return found


def message(request: web.Request, error: DispatchError) -> str:
    """A refusal as the user reads it (``dispatch.error.<code>``, its values filled in)."""
    params = dict(error.params)
    if "state" in params:
        params["state"] = i18n.translate(request[LANG_KEY], f"ticket.state.{params['state']}")
    return i18n.translate(request[LANG_KEY], f"dispatch.error.{error.code}", **params)


async def flash(request: web.Request, key: str, *, kind: str = "ok", **params: Any) -> None:
    """A message for the next page (after the redirect), said once."""
    (await get_session(request))[FLASH] = {"key": key, "kind": kind, "params": params}


async def flash_error(request: web.Request, error: DispatchError) -> None:
    (await get_session(request))[FLASH] = {"text": message(request, error), "kind": "error"}


async def take_flash(request: web.Request) -> dict[str, str] | None:
    found = (await get_session(request)).pop(FLASH, None)
    if not found:
        return None
    text = found.get("text") or i18n.translate(request[LANG_KEY], found["key"], **found.get("params", {}))
    return {"text": text, "kind": found.get("kind", "ok")}


def path_id(request: web.Request, name: str = "id") -> int:
    try:
        return int(request.match_info[name])
    except (KeyError, ValueError):
        raise web.HTTPNotFound() from None


def form_id(value: object, field: str) -> int | None:
    """An id chosen in a select (empty: none); anything else is refused naming the field."""
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise DispatchError("bad_choice", field)
    return int(text)


def text(form: Any, name: str, limit: int = 4000) -> str:
    return str(form.get(name, ""))[:limit]
