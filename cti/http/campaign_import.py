"""``/campaigns/{id}/import``: a CSV file of contacts into a campaign, with a progress bar and a per-row report.

The upload makes the import's row (``campaign_imports``) and starts the import as a background task of
this process (:class:`ImportTasks`), then sends the browser to the import's page, which polls the row's
progress as JSON (``…/import/{job}/progress``) every second and shows the report when it ends. The row
is in the database, so any service process can answer the poll; an import whose process stopped shows
as interrupted (:func:`cti.campaigns.contacts_import.state_of`) and can be started again: what it
stored is skipped as duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from aiohttp import web

from cti.campaigns import contacts_import as imports
from cti.campaigns.forms import CampaignError
from cti.campaigns.models import Campaign, CampaignImport
from cti.campaigns.queries import imports_of
from cti.http import keys
from cti.http.auth import allow
from cti.http.campaign_support import MANAGERS, NAV, campaign_id, local, message, now
from cti.http.dispatch_support import path_id
from cti.http.settings_support import me
from cti.http.templating import render

log = logging.getLogger(__name__)
POLL_MS = 1000


class ImportTasks:
    """The imports this process is running; cancelled (and marked so) when the app stops."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        self.running.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a campaign import failed", exc_info=task.exception())

    async def context(self, app: web.Application) -> AsyncIterator[None]:
        yield
        for task in list(self.running):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self.running, return_exceptions=True)


TASKS: web.AppKey[ImportTasks] = web.AppKey("campaign_imports", ImportTasks)


def _page_data(session: Any, cid: int, job_id: int | None) -> tuple[Campaign | None, Any, list[CampaignImport]]:
    campaign = session.get(Campaign, cid)
    job = session.get(CampaignImport, job_id) if job_id is not None else None
    if job is not None and job.campaign_id != cid:
        job = None
    return campaign, job, imports_of(session, cid) if campaign is not None else []


async def _page(request: web.Request, cid: int, job_id: int | None = None, *, error: str = "",
                status: int = 200) -> web.Response:
    campaign, job, recent = await request.app[keys.DB].read(_page_data, cid, job_id)
    if campaign is None or (job_id is not None and job is None):
        raise web.HTTPNotFound()
    clock = now(request)
    return await render(request, "campaign_import.html", {
        "nav": NAV, "c": campaign, "job": job, "job_state": imports.state_of(job, clock) if job else "",
        "live": _progress(job, clock) if job else {}, "recent": [(j, imports.state_of(j, clock)) for j in recent],
        "error": error, "poll_ms": POLL_MS, "local": lambda v, f="%Y-%m-%d %H:%M": local(v, request, f),
        "aliases": imports.ALIASES, "report_max": imports.REPORT_MAX,
    }, status=status)


def _progress(job: CampaignImport, clock: Any) -> dict[str, Any]:
    return {"state": imports.state_of(job, clock), "total": max(job.total, job.done), "done": job.done,
            "added": job.added, "duplicates": job.duplicates, "do_not_call": job.do_not_call, "invalid": job.invalid,
            "percent": round(100 * job.done / job.total) if job.total else (100 if job.state != "running" else 0)}


@allow(MANAGERS)
async def import_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, campaign_id(request))


@allow(MANAGERS)
async def job_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, campaign_id(request), path_id(request, "job_id"))


@allow(MANAGERS)
async def job_progress(request: web.Request) -> web.StreamResponse:
    cid, job_id = campaign_id(request), path_id(request, "job_id")
    _, job, _ = await request.app[keys.DB].read(_page_data, cid, job_id)
    if job is None:
        raise web.HTTPNotFound(text='{"error": "not found"}', content_type="application/json")
    return web.json_response(_progress(job, now(request)))


@allow(MANAGERS)
async def upload(request: web.Request) -> web.StreamResponse:
    """Start an import of the posted file, and show its progress."""
    cid, form = campaign_id(request), await request.post()
    field = form.get("file")
    data = field.file.read() if isinstance(field, web.FileField) else b""
    if not data:
        return await _page(request, cid, error=message(request, CampaignError("no_file")), status=422)
    total, encoding = await asyncio.to_thread(lambda: (imports.count_rows(data), imports.encoding_of(data)))
    db, service = request.app[keys.DB], request.app[keys.SERVICE]
    try:
        job_id = await db.write(imports.start, cid, filename=field.filename or "", total=total,  # type: ignore[union-attr]
                                encoding=encoding, actor=me(request), now=now(request))
    except CampaignError as error:
        if error.code == "not_found":
            raise web.HTTPNotFound() from None
        return await _page(request, cid, error=message(request, error), status=409)
    request.app[TASKS].spawn(imports.run(db, job_id, data, region=request.app[keys.SETTINGS].default_region,
                                         clock=lambda: service.clock()))
    raise web.HTTPSeeOther(f"/campaigns/{cid}/import/{job_id}")
