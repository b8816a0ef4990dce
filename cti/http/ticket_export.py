"""The ticket list's exports: the tickets the list's filters find, as CSV or XLSX (for ``CTI_EXPORT_ROLES``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from cti.http import keys
from cti.http.downloads import sheet_exports
from cti.http.ticket_pages import read_filters
from cti.tickets import export


def _rows(request: web.Request) -> AsyncIterator[list[Any]]:
    _, flt = read_filters(request)
    return export.rows(request.app[keys.DB], flt, request.app[keys.SETTINGS].zone)


export_csv, export_xlsx = sheet_exports("tickets", export.COLUMNS, _rows)
