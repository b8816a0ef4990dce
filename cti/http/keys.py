"""Typed keys for the objects the web app shares with its handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from cti.app import Service
    from cti.config import Settings
    from cti.push import Hub
    from cti.store import Database

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
DB: web.AppKey[Database] = web.AppKey("db")
HUB: web.AppKey[Hub] = web.AppKey("hub")
SERVICE: web.AppKey[Service] = web.AppKey("service")


def request_key(name: str, kind: type) -> Any:
    """A typed request key (aiohttp >= 3.13), or a plain string on older aiohttp."""
    factory = getattr(web, "RequestKey", None)
    return factory(name, kind) if factory else name
