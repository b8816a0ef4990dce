"""Administrators' field-service pages: outlets (服务网点), engineers (each linked to a login with the
engineer role) and regions (a city, or one of its districts → an engineer and/or an outlet).

Each page lists the rows and has one form: empty, it adds; opened with ``?edit=<id>``, it
changes that row. A refused form comes back with every field's message and nothing saved;
every change is audited (:mod:`cti.dispatch.roster`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from cti.dispatch import roster
from cti.dispatch.rules import DispatchError
from cti.http import keys
from cti.http.auth import ADMINS, allow
from cti.http.dispatch_support import flash, form_id, message, path_id, take_flash, text
from cti.http.templating import USER_KEY, render


@dataclass(frozen=True)
class Kind:
    """One of the three pages: its rows, its form's fields, and how a form is read and saved."""

    name: str  # outlets | engineers | regions
    fields: tuple[str, ...]
    rows: Callable[[Session], list[Any]]
    ident: Callable[[Any], int]  # a row's id
    values: Callable[[Any], dict[str, str]]  # a row as the form shows it
    parse: Callable[[dict[str, str]], Any]  # the form as typed -> roster's form (DispatchError if not)
    save: Callable[..., Any]  # roster.save_*(session, id, form, actor=)

    @property
    def path(self) -> str:
        return f"/admin/{self.name}"


def _str(value: Any) -> str:
    return "" if value is None else str(value)


OUTLETS = Kind(
    "outlets", ("name", "city", "district", "phone", "active"), roster.outlets, lambda o: o.id,
    lambda o: {"name": o.name, "city": o.city, "district": o.district, "phone": o.phone, "active": "1" if o.active else ""},
    lambda v: roster.OutletForm(v["name"], v["city"], v["district"], v["phone"], v["active"] == "1"),
    roster.save_outlet,
)
ENGINEERS = Kind(
    "engineers", ("name", "phone", "user_id", "outlet_id", "active"), roster.engineers, lambda r: r["engineer"].id,
    lambda r: {"name": r["engineer"].name, "phone": r["engineer"].phone, "user_id": _str(r["engineer"].user_id),
               "outlet_id": _str(r["engineer"].outlet_id), "active": "1" if r["engineer"].active else ""},
    lambda v: roster.EngineerForm(v["name"], v["phone"], form_id(v["user_id"], "user_id"),
                                  form_id(v["outlet_id"], "outlet_id"), v["active"] == "1"),
    roster.save_engineer,
)
REGIONS = Kind(
    "regions", ("city", "district", "engineer_id", "outlet_id"), roster.regions, lambda r: r["region"].id,
    lambda r: {"city": r["region"].city, "district": r["region"].district,
               "engineer_id": _str(r["region"].engineer_id), "outlet_id": _str(r["region"].outlet_id)},
    lambda v: roster.RegionForm(v["city"], v["district"], form_id(v["engineer_id"], "engineer_id"),
                                form_id(v["outlet_id"], "outlet_id")),
    roster.save_region,
)


def _options(session: Session) -> dict[str, Any]:
    return {"outlet_rows": roster.outlets(session), "engineer_rows": roster.engineers(session),
            "logins": roster.engineer_logins(session)}


async def _page(request: web.Request, kind: Kind, *, values: dict[str, str] | None = None, editing: int | None = None,
                errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    rows, options = await request.app[keys.DB].read(lambda s: (kind.rows(s), _options(s)))
    if values is None:
        if editing is not None:
            row = next((r for r in rows if kind.ident(r) == editing), None)
            if row is None:
                raise web.HTTPNotFound()
            values = kind.values(row)
        else:
            values = dict.fromkeys(kind.fields, "") | ({"active": "1"} if "active" in kind.fields else {})
    return await render(request, f"admin_{kind.name}.html", {
        "kind": kind.name, "rows": rows, "values": values, "editing": editing, "errors": errors or {},
        "flash": await take_flash(request), "nav": "settings", **options,
    }, status=status)


async def _show(request: web.Request, kind: Kind) -> web.StreamResponse:
    raw = request.query.get("edit", "")
    return await _page(request, kind, editing=int(raw) if raw.isdigit() and len(raw) < 12 else None)


async def _post(request: web.Request, kind: Kind) -> web.StreamResponse:
    form = await request.post()
    values = {name: text(form, name, 400) for name in kind.fields}
    raw_id = text(form, "id", 20)
    editing = int(raw_id) if raw_id.isdigit() and len(raw_id) < 12 else None
    me = request[USER_KEY].username
    try:
        parsed = kind.parse(values)
        await request.app[keys.DB].write(lambda s: kind.save(s, editing, parsed, actor=me))
    except DispatchError as refused:
        if refused.code == "not_found":
            raise web.HTTPNotFound() from None
        return await _page(request, kind, values=values, editing=editing,
                           errors={refused.field or "form": message(request, refused)}, status=422)
    await flash(request, f"dispatch.admin.saved_{kind.name}")
    raise web.HTTPSeeOther(kind.path)


@allow(ADMINS)
async def outlets_page(request: web.Request) -> web.StreamResponse:
    return await _show(request, OUTLETS)


@allow(ADMINS)
async def save_outlet(request: web.Request) -> web.StreamResponse:
    return await _post(request, OUTLETS)


@allow(ADMINS)
async def engineers_page(request: web.Request) -> web.StreamResponse:
    return await _show(request, ENGINEERS)


@allow(ADMINS)
async def save_engineer(request: web.Request) -> web.StreamResponse:
    return await _post(request, ENGINEERS)


@allow(ADMINS)
async def regions_page(request: web.Request) -> web.StreamResponse:
    return await _show(request, REGIONS)


@allow(ADMINS)
async def save_region(request: web.Request) -> web.StreamResponse:
    return await _post(request, REGIONS)


@allow(ADMINS)
async def delete_region(request: web.Request) -> web.StreamResponse:
    region_id, me = path_id(request), request[USER_KEY].username
    try:
        await request.app[keys.DB].write(lambda s: roster.delete_region(s, region_id, actor=me))
    except DispatchError:
        raise web.HTTPNotFound() from None
    await flash(request, "dispatch.admin.deleted_region")
    raise web.HTTPSeeOther(REGIONS.path)
