"""Every route of the console has a documented rule: who may call it (docs/PERMISSIONS.md).

The table below mirrors the document. The router is walked: a route added without a
rule here (and in the document), or whose handler allows other roles than the table
says, fails; so does a document that drifts from the table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiohttp import web

from cti.app import create_app
from cti.config import Settings
from cti.http import keys
from cti.http.auth import PUBLIC, roles_of

DOC = Path(__file__).resolve().parents[3] / "docs" / "PERMISSIONS.md"
WHO = ("anonymous", "agent", "engineer", "supervisor", "manager", "admin")
ALL = frozenset(WHO)
USERS = ALL - {"anonymous"}
STAFF = USERS - {"engineer"}  # the hotline's people: calls and customers are not the engineers'
EXPORTERS = frozenset({"supervisor", "manager", "admin"})  # CTI_EXPORT_ROLES' default
ENGINEERS = frozenset({"engineer"})
SUPERVISORS = frozenset({"supervisor", "manager", "admin"})
ADMINS = frozenset({"admin"})

MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/login"): ALL,
    ("POST", "/login"): ALL,
    ("POST", "/logout"): USERS,
    ("POST", "/language"): ALL,
    ("GET", "/"): USERS,  # an engineer is sent on to /work
    ("GET", "/api/me"): USERS,
    ("GET", "/api/todo"): USERS,
    ("GET", "/ws"): USERS,
    ("GET", "/customers"): STAFF,
    ("GET", "/customers/new"): STAFF,
    ("POST", "/customers/new"): STAFF,
    ("GET", "/customers/{id}"): STAFF,
    ("GET", "/tickets"): STAFF,
    ("GET", "/tickets/export.csv"): EXPORTERS,
    ("GET", "/tickets/export.xlsx"): EXPORTERS,
    ("GET", "/tickets/new"): STAFF,
    ("POST", "/tickets/new"): STAFF,
    ("GET", "/tickets/{id}"): STAFF,
    ("POST", "/tickets/{id}/state"): STAFF,
    ("POST", "/tickets/{id}/note"): STAFF,
    ("POST", "/tickets/{id}/reopen"): STAFF,
    ("POST", "/tickets/{id}/assign"): STAFF,
    ("POST", "/tickets/{id}/claim-unit"): SUPERVISORS,
    ("POST", "/tickets/{id}/contact"): STAFF,
    ("POST", "/tickets/{id}/link"): STAFF,
    ("POST", "/tickets/{id}/notifications/{nid}"): STAFF,
    ("GET", "/calls"): STAFF,
    ("GET", "/calls/export.csv"): EXPORTERS,
    ("GET", "/calls/export.xlsx"): EXPORTERS,
    ("GET", "/admin/users"): frozenset({"admin"}),
    ("POST", "/admin/users/{id}/active"): frozenset({"admin"}),
    ("GET", "/escalations"): frozenset({"supervisor", "manager", "admin"}),
    ("POST", "/escalations/{id}/ack"): frozenset({"supervisor", "manager", "admin"}),  # level 2: managers, admins
    ("GET", "/status"): ALL,  # details for supervisors and administrators only
    ("GET", "/static/"): ALL,
    # field service: the engineer's work list, the dispatch board, its set-up
    ("GET", "/work"): ENGINEERS,
    ("POST", "/work/{id}/arrive"): ENGINEERS,
    ("GET", "/work/{id}/complete"): ENGINEERS,
    ("POST", "/work/{id}/complete"): ENGINEERS,
    ("GET", "/dispatch"): STAFF,
    ("GET", "/dispatch/{id}"): STAFF,
    ("POST", "/dispatch/{id}"): STAFF,
    ("POST", "/dispatch/{id}/approve"): SUPERVISORS,
    ("POST", "/dispatch/{id}/reject"): SUPERVISORS,
    ("GET", "/admin/outlets"): ADMINS,
    ("POST", "/admin/outlets"): ADMINS,
    ("GET", "/admin/engineers"): ADMINS,
    ("POST", "/admin/engineers"): ADMINS,
    ("GET", "/admin/regions"): ADMINS,
    ("POST", "/admin/regions"): ADMINS,
    ("POST", "/admin/regions/{id}/delete"): ADMINS,
    # the promises' set-up: SLA policies, business calendars, queue rules
    ("GET", "/admin/sla"): ADMINS,
    ("POST", "/admin/sla"): ADMINS,
    ("POST", "/admin/sla/{id}/delete"): ADMINS,
    ("GET", "/admin/calendars"): ADMINS,
    ("POST", "/admin/calendars"): ADMINS,
    ("POST", "/admin/calendars/{id}/delete"): ADMINS,
    ("POST", "/admin/calendars/days"): ADMINS,
    ("POST", "/admin/calendars/days/{id}/delete"): ADMINS,
    ("GET", "/admin/queue-rules"): ADMINS,
    ("POST", "/admin/queue-rules"): ADMINS,
    ("POST", "/admin/queue-rules/{id}/delete"): ADMINS,
    # outbound campaigns and the do-not-call list: those who run the hotline; downloads also CTI_EXPORT_ROLES
    ("GET", "/campaigns"): SUPERVISORS,
    ("GET", "/campaigns/new"): SUPERVISORS,
    ("POST", "/campaigns/new"): SUPERVISORS,
    ("GET", "/campaigns/{id}"): SUPERVISORS,
    ("GET", "/campaigns/{id}/progress"): SUPERVISORS,
    ("GET", "/campaigns/{id}/edit"): SUPERVISORS,
    ("POST", "/campaigns/{id}/edit"): SUPERVISORS,
    ("POST", "/campaigns/{id}/state"): SUPERVISORS,
    ("GET", "/campaigns/{id}/contacts/{contact_id}"): SUPERVISORS,
    ("POST", "/campaigns/{id}/contacts/{contact_id}/decide"): SUPERVISORS,
    ("GET", "/campaigns/{id}/import"): SUPERVISORS,
    ("POST", "/campaigns/{id}/import"): SUPERVISORS,
    ("GET", "/campaigns/{id}/import/{job_id}"): SUPERVISORS,
    ("GET", "/campaigns/{id}/import/{job_id}/progress"): SUPERVISORS,
    ("GET", "/campaigns/{id}/export.csv"): SUPERVISORS & EXPORTERS,
    ("GET", "/campaigns/{id}/export.xlsx"): SUPERVISORS & EXPORTERS,
    ("GET", "/campaigns/{id}/attempts.csv"): SUPERVISORS & EXPORTERS,
    ("GET", "/campaigns/{id}/attempts.xlsx"): SUPERVISORS & EXPORTERS,
    ("GET", "/dnc"): SUPERVISORS,
    ("POST", "/dnc"): SUPERVISORS,
    ("POST", "/dnc/remove"): SUPERVISORS,
    ("POST", "/dnc/import"): SUPERVISORS,
    ("GET", "/dnc/export.csv"): SUPERVISORS & EXPORTERS,
    ("GET", "/dnc/export.xlsx"): SUPERVISORS & EXPORTERS,
    # the agents' callbacks and follow-ups: the hotline's people (engineers have their work list); assigning
    # a follow-up is for those who run campaigns
    ("GET", "/callbacks"): STAFF,
    ("GET", "/callbacks/count"): STAFF,
    ("GET", "/callbacks/new"): STAFF,
    ("POST", "/callbacks/new"): STAFF,
    ("POST", "/callbacks/{id}/call"): STAFF,
    ("POST", "/callbacks/{id}/done"): STAFF,
    ("POST", "/callbacks/{id}/cancel"): STAFF,
    ("POST", "/followups/{id}"): STAFF,
    ("POST", "/dial"): STAFF,
    ("POST", "/campaigns/{id}/contacts/{contact_id}/assign"): SUPERVISORS,
    ("GET", "/admin/org"): ADMINS,
    ("POST", "/admin/org"): ADMINS,
    ("POST", "/admin/org/{id}/delete"): ADMINS,
    ("POST", "/admin/users/{id}/unit"): ADMINS,
    ("GET", "/admin/queues"): ADMINS,
    ("POST", "/admin/queues"): ADMINS,
    ("GET", "/wallboard"): SUPERVISORS,
    ("GET", "/wallboard/ws"): SUPERVISORS,
    ("GET", "/api/agent"): STAFF,
    ("POST", "/agents/login"): STAFF,
    ("POST", "/agents/logout"): STAFF,
    ("POST", "/agents/pause"): STAFF,
    ("POST", "/agents/unpause"): STAFF,
    # the supervisors' reports: each page and its exports (aggregates, not customer data)
    ("GET", "/reports"): SUPERVISORS,
    **{("GET", f"/reports/{name}{ext}"): SUPERVISORS
       for name in ("queues", "agents", "models", "engineers", "sla", "callbacks") for ext in ("", ".csv", ".xlsx")},
}


def build_app(tmp_path, **settings) -> web.Application:
    return create_app(Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'cti.db'}",
                               ami_host="127.0.0.1", **settings))


def allowed(route: web.AbstractRoute, settings: Settings) -> frozenset[str]:
    """Who the app lets through to this route (the rule middleware.gate enforces)."""
    if isinstance(route.resource, web.StaticResource):
        return ALL
    roles = roles_of(route.handler, settings)
    assert roles is not None, f"{route.method} {route.resource.canonical} has no rule: it is refused to everyone"
    return ALL if roles is PUBLIC else frozenset(roles)


def routes(app: web.Application) -> dict[tuple[str, str], web.AbstractRoute]:
    found = {}
    for route in app.router.routes():
        path = route.resource.canonical + ("/" if isinstance(route.resource, web.StaticResource) else "")
        method = "GET" if route.method == "HEAD" else route.method  # HEAD runs the GET handler
        found[(method, path)] = route
    return found


def test_every_route_has_the_documented_rule(tmp_path):
    app = build_app(tmp_path)
    settings = Settings(_env_file=None)
    found = routes(app)
    assert set(found) - set(MATRIX) == set(), "routes without a documented rule (docs/PERMISSIONS.md)"
    assert set(MATRIX) - set(found) == set(), "documented routes that no longer exist"
    for key, route in found.items():
        assert allowed(route, settings) == MATRIX[key], key


def test_the_export_roles_follow_the_setting(tmp_path):
    app = build_app(tmp_path, export_roles="agent,supervisor,admin")
    found = routes(app)
    settings = app[keys.SETTINGS]
    for path in ("/calls/export.csv", "/calls/export.xlsx", "/tickets/export.csv", "/tickets/export.xlsx"):
        assert allowed(found[("GET", path)], settings) == {"agent", "supervisor", "admin"}
    for path in ("/campaigns/{id}/export.csv", "/campaigns/{id}/attempts.xlsx", "/dnc/export.csv", "/dnc/export.xlsx"):
        assert allowed(found[("GET", path)], settings) == {"supervisor", "admin"}  # and only those who run campaigns


def doc_matrix() -> dict[tuple[str, str], frozenset[str]]:
    """The table of docs/PERMISSIONS.md: | METHOD | `path` | anonymous | agent | engineer | supervisor | manager | admin | notes |"""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0] in ("GET", "POST"):
            path = re.sub(r"`", "", cells[1])
            rows[(cells[0], path)] = frozenset(who for who, cell in zip(WHO, cells[2:8], strict=True) if cell == "yes")
    return rows


def test_the_document_says_what_the_test_checks():
    assert doc_matrix() == MATRIX


@pytest.mark.parametrize("value", ["agent", "supervisor,admin", "admin", ""])
def test_export_roles_accept_known_roles(value):
    assert Settings(_env_file=None, export_roles=value).export_roles == tuple(r for r in value.split(",") if r)
