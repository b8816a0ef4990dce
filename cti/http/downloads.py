"""Sending a table as a download (CSV or XLSX): written to a spool first (memory up to 8 MiB, then a
temporary file), so a failed read is an error page, not half a file; then streamed with its length.
:func:`sheet_exports` makes the pair of export routes of a list (for ``CTI_EXPORT_ROLES``)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from cti import sheets
from cti.http import keys
from cti.http.auth import allow, exporters

CHUNK = 64 * 1024
SPOOL = 8 * 1024 * 1024
TYPES = {"csv": sheets.CSV_TYPE, "xlsx": sheets.XLSX_TYPE}
Rows = Callable[[web.Request], AsyncIterable[Sequence[Any]]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def send_sheet(request: web.Request, *, name: str, kind: str, header: Sequence[str],
                     rows: AsyncIterable[Sequence[Any]]) -> web.StreamResponse:
    """``rows`` as ``<name>-<local time>.<kind>``; the XLSX sheet is called ``name``."""
    stamp = dt.datetime.now(request.app[keys.SETTINGS].zone).strftime("%Y%m%d-%H%M")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL) as spool:
        await sheets.write(kind, header, rows, spool, title=name)  # type: ignore[arg-type]
        size = spool.tell()
        spool.seek(0)
        response = web.StreamResponse(headers={
            "Content-Type": TYPES[kind],
            "Content-Disposition": f'attachment; filename="{name}-{stamp}.{kind}"',
            "Content-Length": str(size),
        })
        await response.prepare(request)
        while chunk := spool.read(CHUNK):
            await response.write(chunk)
        await response.write_eof()
    return response


def sheet_exports(name: str, header: Sequence[str], rows: Rows) -> tuple[Handler, Handler]:
    """The CSV and the XLSX handler of one export: ``rows(request)`` (the list's filters read from the
    query) as ``<name>-<time>.csv`` / ``.xlsx``, for the roles in ``CTI_EXPORT_ROLES``."""

    def handler(kind: str) -> Handler:
        @allow(exporters)
        async def export(request: web.Request) -> web.StreamResponse:
            return await send_sheet(request, name=name, kind=kind, header=header, rows=rows(request))

        return export

    return handler("csv"), handler("xlsx")
