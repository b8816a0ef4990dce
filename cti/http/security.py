"""Response headers every console response carries, and the same-origin check.

The Content-Security-Policy allows no inline script or style: templates link
``/static`` files only and pass data to scripts in ``data-*`` attributes.
Dynamic responses (pages, JSON, exports) are never cached: they hold
customer data. Static files are revalidated on each use.
"""

from __future__ import annotations

from aiohttp import web

from cti.config import Settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: runs for every response, errors and static files included."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-cache")
    else:
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")


def _norm(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def allowed_origins(request: web.Request, settings: Settings) -> set[str]:
    own = {_norm(f"{request.scheme}://{request.host}")}
    if settings.public_origin:
        own.add(_norm(settings.public_origin))
    return own


def same_origin(request: web.Request, settings: Settings, *, required: bool) -> bool:
    """True when the request's Origin is this console. A missing Origin passes only when not ``required``."""
    origin = request.headers.get("Origin")
    if origin is None:
        return not required
    return _norm(origin) in allowed_origins(request, settings)
