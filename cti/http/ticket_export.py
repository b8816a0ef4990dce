"""The ticket list's exports: the tickets the list's filters find, as CSV or XLSX (for ``CTI_EXPORT_ROLES``)."""

from __future__ import annotations

from aiohttp import web

from cti.http import keys
from cti.http.auth import allow, exporters
from cti.http.downloads import send_sheet
from cti.http.ticket_pages import read_filters
from cti.tickets import export


async def _export(request: web.Request, kind: str) -> web.StreamResponse:
    _, flt = read_filters(request)
    rows = export.rows(request.app[keys.DB], flt, request.app[keys.SETTINGS].zone)
    return await send_sheet(request, name="tickets", kind=kind, header=export.COLUMNS, rows=rows)


@allow(exporters)
async def export_csv(request: web.Request) -> web.StreamResponse:
    return await _export(request, "csv")


@allow(exporters)
async def export_xlsx(request: web.Request) -> web.StreamResponse:
    return await _export(request, "xlsx")
