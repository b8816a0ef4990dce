"""Rendering pages: the jinja2 environment and the context every page gets."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from cti.http import csrf, i18n, keys, login_csrf
from cti.http.webdir import web_dir


USER_KEY = keys.request_key("cti.user", object)  # request[USER_KEY]: the logged-in User, or None
LANG_KEY = keys.request_key("cti.lang", str)  # request[LANG_KEY]: "zh" or "en"


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(web_dir() / "templates")),
        autoescape=True,  # every {{ value }} is HTML-escaped; caller names are attacker-controlled
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
    )
    env.globals.update(t=i18n.t, static=static_url, seconds=i18n.seconds,
                       zone_name=app[keys.SETTINGS].timezone)  # the hotline's clock, for scripts (CTI_TIMEZONE)


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``: a changed file gets a new URL."""
    try:
        digest = hashlib.sha256((web_dir() / "static" / path).read_bytes()).hexdigest()[:10]
    except OSError:
        digest = "0"
    return f"/static/{path}?v={digest}"


async def render(request: web.Request, template: str, context: dict[str, Any] | None = None,
                 *, status: int = 200) -> web.Response:
    lang = request.get(LANG_KEY) or i18n.pick(request.app[keys.SETTINGS].language)
    user = request.get(USER_KEY)
    forms = request.app[login_csrf.FORMS]
    if user is not None:
        token = await csrf.token(request)
    else:  # a visitor posts only from the login page: its form and language switch, no session row
        token = await forms.token(request) if template == "login.html" else ""
    base = {
        "lang": lang,
        "user": user,
        "csrf_token": token,
        "path": request.path,
        "here": request.path_qs,
        "js_catalog": i18n.catalog_json(lang),
    }
    base.update(context or {})
    response = aiohttp_jinja2.render_template(template, request, base, status=status)
    forms.set_cookie(request, response)
    response.headers["Content-Language"] = "zh-CN" if lang == "zh" else "en"
    return response


async def error_page(request: web.Request, status: int, message_key: str, **values: Any) -> web.Response:
    return await render(request, "error.html", {"status": status, "message_key": message_key, "values": values},
                        status=status)
