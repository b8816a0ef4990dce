"""``GET /status``: 200 when every component is ok, 503 otherwise; open to anyone, details to supervisors.

Monitors need no login: they read the status code, and the body says only
``{"ok": true}`` or ``{"ok": false}``. The details — each component on its own,
with whatever it reports (the PBX's host and port, its last error text, queue
depths, the version) — are for logged-in supervisors and administrators only:
they help whoever attacks the service as much as whoever runs it.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from importlib import metadata
from types import SimpleNamespace
from typing import Any

from aiohttp import web

from cti.http import keys
from cti.http.auth import PUBLIC, SUPERVISORS, allow
from cti.http.templating import USER_KEY

DB_TIMEOUT = 3.0
BUS_DEPTH_LIMIT = 5000  # a subscriber this far behind is not ok
OK_STATES = ("connected", "logged_in", "ready", "up", "running")


def version() -> str:
    try:
        return metadata.version("hotline-cti")
    except metadata.PackageNotFoundError:
        return "unknown"


@allow(PUBLIC)
async def status(request: web.Request) -> web.Response:
    service = request.app[keys.SERVICE]
    components = {
        "database": await _database(request),
        "ami": await _component(getattr(service, "bridge", None)),
        "bus": _bus(service),
        "push": _push(request),
    }
    if getattr(service, "writers", None) is not None:  # CTI_WRITER_PROCESS: the call log's own process
        components["writers"] = await _component(service.writers)
    scheduler = getattr(service, "scheduler", None)
    if scheduler is not None:  # the SLA tick, the webhook, later the campaigns
        components["scheduler"] = await _component(scheduler)
    timers = getattr(service, "timers", None)
    if timers is not None:  # holiday data for this year: "degraded" (still ok) when a calendar has none
        components["calendar"] = await _component(SimpleNamespace(status=timers.calendar_status))
    ok = all(c["ok"] for c in components.values())
    body: dict[str, Any] = {"ok": ok}
    if _may_see_details(request):
        body.update(version=version(), uptime_seconds=int(time.time() - service.started_at), components=components)
    return web.json_response(body, status=200 if ok else 503)


def _may_see_details(request: web.Request) -> bool:
    user = request.get(USER_KEY)
    return user is not None and user.role in SUPERVISORS


async def _database(request: web.Request) -> dict[str, Any]:
    db = request.app[keys.DB]
    started = time.perf_counter()
    try:
        await asyncio.wait_for(db.ping(), DB_TIMEOUT)
    except Exception as exc:  # any failure is the answer, not a crash
        return {"ok": False, "backend": db.url.get_backend_name(), "error": type(exc).__name__}
    return {"ok": True, "backend": db.url.get_backend_name(),
            "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


async def _component(part: Any) -> dict[str, Any]:
    """A component's own ``status()`` (sync or async) as a dict with ``ok``; never raises."""
    status_fn = getattr(part, "status", None)
    if status_fn is None:
        return {"ok": False, "state": "missing"}
    try:
        result = status_fn()
        if inspect.isawaitable(result):
            result = await result
    except Exception as exc:
        return {"ok": False, "state": "error", "error": type(exc).__name__}
    info = dict(result) if isinstance(result, dict) else {"state": str(result)}
    info = {k: v for k, v in info.items() if "secret" not in k.lower() and "password" not in k.lower()}
    if "ok" not in info:
        info["ok"] = str(info.get("state", "")).lower() in OK_STATES
    info["ok"] = bool(info["ok"])
    return info


def _bus(service: Any) -> dict[str, Any]:
    stats = service.bus.stats()
    behind = [name for name, s in stats.items() if s.get("depth", 0) > BUS_DEPTH_LIMIT]
    return {"ok": not behind, "published": service.bus.published, "subscribers": stats}


def _push(request: web.Request) -> dict[str, Any]:
    hub = request.app[keys.HUB]
    return {"ok": True, "connections": hub.connection_count(), "sent": hub.sent}
