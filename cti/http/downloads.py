"""Sending a table as a download (CSV or XLSX): written to a spool first (memory up to 8 MiB, then a
temporary file), so a failed read is an error page, not half a file; then streamed with its length."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import AsyncIterable, Sequence
from typing import Any

from aiohttp import web

from cti import sheets
from cti.http import keys

CHUNK = 64 * 1024
SPOOL = 8 * 1024 * 1024
TYPES = {"csv": sheets.CSV_TYPE, "xlsx": sheets.XLSX_TYPE}


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
