"""``/dnc``: the do-not-call list — search it, add a number with a note, take one off, import a CSV file
(all or nothing: a file with a bad row is shown back with every bad row and nothing is listed), export it.
Thin over :mod:`cti.campaigns.dnc`."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from cti.campaigns import dnc
from cti.http import i18n, keys
from cti.http.auth import allow
from cti.http.campaign_support import MANAGERS, NAV, campaign_exporters, errors_of, local, may_export, now
from cti.http.dispatch_support import flash, take_flash
from cti.http.downloads import send_sheet
from cti.http.settings_support import me, read
from cti.http.templating import LANG_KEY, USER_KEY, render

PATH = "/dnc"


async def _page(request: web.Request, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                report: dnc.DncFile | None = None, filename: str = "", status: int = 200) -> web.Response:
    text = request.query.get("q", "").strip()[:64]
    try:
        page = max(1, min(int(request.query.get("page", "1")), 100_000))
    except ValueError:
        page = 1
    region = request.app[keys.SETTINGS].default_region
    rows, total = await request.app[keys.DB].read(lambda s: dnc.search(s, text, region=region, page=page))
    pages = max(1, -(-total // dnc.PAGE_SIZE))

    def url(n: int) -> str:
        return f"{PATH}?{urlencode({k: v for k, v in (('q', text), ('page', n)) if v})}"

    return await render(request, "dnc.html", {
        "nav": NAV, "tab": "dnc", "rows": rows, "total": total, "q": text, "page": page, "pages": pages,
        "prev_url": url(page - 1) if page > 1 else "", "next_url": url(page + 1) if page < pages else "",
        "values": values or {"number": "", "note": ""}, "errors": errors or {}, "report": report,
        "filename": filename, "can_export": may_export(request, request[USER_KEY]), "flash": await take_flash(request),
        "local": lambda v: local(v, request), "aliases": dnc.ALIASES,
    }, status=status)


@allow(MANAGERS)
async def dnc_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@allow(MANAGERS)
async def add(request: web.Request) -> web.StreamResponse:
    values = await read(request, ("number", "note"), 400)
    region, actor, when = request.app[keys.SETTINGS].default_region, me(request), now(request)
    try:
        e164 = await request.app[keys.DB].write(
            lambda s: dnc.add(s, values["number"], values["note"], actor=actor, region=region, now=when).e164)
    except dnc.DncError as error:
        return await _page(request, values=values, errors=errors_of(request, error, "dnc.error"), status=422)
    await flash(request, "dnc.done.added", number=e164)
    raise web.HTTPSeeOther(PATH)


@allow(MANAGERS)
async def remove(request: web.Request) -> web.StreamResponse:
    e164 = (await read(request, ("number",), 40))["number"]
    actor = me(request)
    removed = await request.app[keys.DB].write(lambda s: dnc.remove(s, e164, actor=actor))
    await flash(request, "dnc.done.removed" if removed else "dnc.error.not_listed", kind="ok" if removed else "error",
                number=e164)
    raise web.HTTPSeeOther(PATH)


@allow(MANAGERS)
async def import_file(request: web.Request) -> web.StreamResponse:
    """A whole file, or nothing: every row that cannot be read is shown and nothing is listed."""
    form = await request.post()
    field = form.get("file")
    data = field.file.read() if isinstance(field, web.FileField) else b""
    filename = (field.filename or "") if isinstance(field, web.FileField) else ""
    if not data:
        return await _page(request, errors={"file": _text(request, "dnc.error.no_file")}, status=422)
    region = request.app[keys.SETTINGS].default_region
    found = await asyncio.to_thread(dnc.read_import, data, region=region)
    if found.errors or not found.entries:
        return await _page(request, report=found, filename=filename, status=422)
    added, already = await request.app[keys.DB].write(dnc.store_import, found.entries, actor=me(request),
                                                      now=now(request), filename=filename)
    await flash(request, "dnc.done.imported", added=added, already=already, repeated=found.repeated)
    raise web.HTTPSeeOther(PATH)


def _text(request: web.Request, key: str, **values: Any) -> str:
    return i18n.translate(request[LANG_KEY], key, **values)


def _export(kind: str):
    @allow(campaign_exporters)
    async def export(request: web.Request) -> web.StreamResponse:
        return await send_sheet(request, name="do-not-call", kind=kind, header=dnc.COLUMNS,
                                rows=dnc.export_rows(request.app[keys.DB], request.app[keys.SETTINGS].zone))

    return export


export_csv, export_xlsx = _export("csv"), _export("xlsx")
