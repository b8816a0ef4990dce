"""The console's web app: templates, static files, middlewares and the route table."""

from __future__ import annotations

import aiohttp_session
from aiohttp import web

from cti.http import (
    admin_pages, agent_pages, auth, calendar_admin, call_pages, callback_forms, callback_pages, campaign_forms,
    campaign_import, campaign_pages, console, customer_pages, dispatch_admin, dispatch_pages, dnc_pages,
    escalation_pages, followup_pages, keys, middleware, org_admin, push, queue_rules_admin, report_pages, security,
    sla_admin, status, templating, ticket_actions, ticket_export, ticket_forms, ticket_pages, wallboard_pages,
    work_pages,
)
from cti.http.login_csrf import FORMS, LoginForms
from cti.http.sessions import STORAGE, DbSessionStorage
from cti.http.throttle import LoginThrottle
from cti.http.webdir import web_dir


def setup_web(app: web.Application) -> None:
    storage = DbSessionStorage(app[keys.DB], app[keys.SETTINGS])
    app[STORAGE] = storage
    app[auth.THROTTLE] = LoginThrottle()
    app[FORMS] = LoginForms(app[keys.DB], app[keys.SETTINGS])
    app[push.PUSH_SESSIONS] = watch = push.PushSessions()
    app.cleanup_ctx.append(watch.context)
    app[campaign_import.TASKS] = imports = campaign_import.ImportTasks()
    app.cleanup_ctx.append(imports.context)
    templating.setup(app)
    app.middlewares.append(middleware.real_remote)  # before the session: it sees the client too
    aiohttp_session.setup(app, storage)
    app.middlewares.extend([middleware.errors, middleware.gate, middleware.csrf_check])
    app.on_response_prepare.append(security.add_headers)
    app.router.add_routes([
        web.get("/login", auth.login_page, name="login"),
        web.post("/login", auth.login_submit),
        web.post("/logout", auth.logout, name="logout"),
        web.post("/language", auth.set_language, name="language"),
        web.get("/", console.console, name="console"),
        web.get("/api/me", console.me),
        web.get("/api/todo", console.todo_api),
        web.get("/ws", push.websocket, name="ws"),
        web.get("/customers", customer_pages.search, name="customers"),
        web.get("/customers/new", customer_pages.new_form, name="customer_new"),
        web.post("/customers/new", customer_pages.create),
        web.get(r"/customers/{id:\d+}", customer_pages.detail, name="customer"),
        web.get("/tickets", ticket_pages.ticket_list, name="tickets"),
        web.get("/tickets/export.csv", ticket_export.export_csv),
        web.get("/tickets/export.xlsx", ticket_export.export_xlsx),
        web.get("/tickets/new", ticket_forms.new_form, name="ticket_new"),
        web.post("/tickets/new", ticket_forms.create),
        web.get(r"/tickets/{id:\d+}", ticket_pages.ticket_page, name="ticket"),
        web.post(r"/tickets/{id:\d+}/state", ticket_actions.change_state),
        web.post(r"/tickets/{id:\d+}/note", ticket_actions.add_note),
        web.post(r"/tickets/{id:\d+}/reopen", ticket_actions.reopen),
        web.post(r"/tickets/{id:\d+}/assign", ticket_actions.assign),
        web.post(r"/tickets/{id:\d+}/claim-unit", ticket_actions.claim_unit),
        web.post(r"/tickets/{id:\d+}/contact", ticket_actions.record_contact),
        web.post(r"/tickets/{id:\d+}/link", ticket_actions.link_call),
        web.post(r"/tickets/{id:\d+}/notifications/{nid:\d+}", ticket_actions.notification),
        web.get("/calls", call_pages.call_log, name="calls"),
        web.get("/calls/export.csv", call_pages.export_csv),
        web.get("/calls/export.xlsx", call_pages.export_xlsx),
        web.get("/admin/users", admin_pages.users_page, name="admin_users"),
        web.post(r"/admin/users/{id:\d+}/active", admin_pages.set_active),
        web.get("/status", status.status, name="status"),
    ])
    app.router.add_routes([  # complaint escalations: the list and acknowledging one (docs/PERMISSIONS.md)
        web.get("/escalations", escalation_pages.escalation_list, name="escalations"),
        web.post(r"/escalations/{id:\d+}/ack", escalation_pages.acknowledge),
    ])
    app.router.add_routes([  # field service: the engineer's work list, the dispatch board, its set-up
        web.get("/work", work_pages.work_list, name="work"),
        web.post(r"/work/{id:\d+}/arrive", work_pages.arrive),
        web.get(r"/work/{id:\d+}/complete", work_pages.complete_form),
        web.post(r"/work/{id:\d+}/complete", work_pages.complete),
        web.get("/dispatch", dispatch_pages.board, name="dispatch"),
        web.get(r"/dispatch/{id:\d+}", dispatch_pages.ticket_form),
        web.post(r"/dispatch/{id:\d+}", dispatch_pages.schedule),
        web.post(r"/dispatch/{id:\d+}/approve", dispatch_pages.approve),
        web.post(r"/dispatch/{id:\d+}/reject", dispatch_pages.reject),
        web.get("/admin/outlets", dispatch_admin.outlets_page),
        web.post("/admin/outlets", dispatch_admin.save_outlet),
        web.get("/admin/engineers", dispatch_admin.engineers_page),
        web.post("/admin/engineers", dispatch_admin.save_engineer),
        web.get("/admin/regions", dispatch_admin.regions_page),
        web.post("/admin/regions", dispatch_admin.save_region),
        web.post(r"/admin/regions/{id:\d+}/delete", dispatch_admin.delete_region),
    ])
    app.router.add_routes([  # the promises' set-up: SLA policies, business calendars, queue rules
        web.get("/admin/sla", sla_admin.sla_page, name="admin_sla"),
        web.post("/admin/sla", sla_admin.save_policy),
        web.post(r"/admin/sla/{id:\d+}/delete", sla_admin.delete_policy),
        web.get("/admin/calendars", calendar_admin.calendars_page, name="admin_calendars"),
        web.post("/admin/calendars", calendar_admin.save_calendar),
        web.post(r"/admin/calendars/{id:\d+}/delete", calendar_admin.delete_calendar),
        web.post("/admin/calendars/days", calendar_admin.add_day),
        web.post(r"/admin/calendars/days/{id:\d+}/delete", calendar_admin.delete_day),
        web.get("/admin/queue-rules", queue_rules_admin.queue_rules_page, name="admin_queue_rules"),
        web.post("/admin/queue-rules", queue_rules_admin.save_queue_rule),
        web.post(r"/admin/queue-rules/{id:\d+}/delete", queue_rules_admin.delete_queue_rule),
    ])
    app.router.add_routes([  # the organisation tree and the queues' wallboard settings (cti.org, cti.supervision)
        web.get("/admin/org", org_admin.org_page, name="admin_org"),
        web.post("/admin/org", org_admin.save_unit),
        web.post(r"/admin/org/{id:\d+}/delete", org_admin.delete_unit),
        web.post(r"/admin/users/{id:\d+}/unit", org_admin.place_user),
        web.get("/admin/queues", org_admin.queues_page, name="admin_queues"),
        web.post("/admin/queues", org_admin.save_queue),
    ])
    app.router.add_routes([  # outbound campaigns and the do-not-call list: supervisors, managers, admins
        web.get("/campaigns", campaign_pages.campaign_list, name="campaigns"),
        web.get("/campaigns/new", campaign_forms.new_form),
        web.post("/campaigns/new", campaign_forms.create),
        web.get(r"/campaigns/{id:\d+}", campaign_pages.campaign_page),
        web.get(r"/campaigns/{id:\d+}/progress", campaign_pages.progress),
        web.get(r"/campaigns/{id:\d+}/edit", campaign_forms.edit_form),
        web.post(r"/campaigns/{id:\d+}/edit", campaign_forms.save),
        web.post(r"/campaigns/{id:\d+}/state", campaign_pages.change_state),
        web.get(r"/campaigns/{id:\d+}/contacts/{contact_id:\d+}", campaign_pages.contact_page),
        web.post(r"/campaigns/{id:\d+}/contacts/{contact_id:\d+}/decide", campaign_pages.decide),
        web.get(r"/campaigns/{id:\d+}/import", campaign_import.import_page),
        web.post(r"/campaigns/{id:\d+}/import", campaign_import.upload),
        web.get(r"/campaigns/{id:\d+}/import/{job_id:\d+}", campaign_import.job_page),
        web.get(r"/campaigns/{id:\d+}/import/{job_id:\d+}/progress", campaign_import.job_progress),
        web.get(r"/campaigns/{id:\d+}/export.csv", campaign_pages.export_csv),
        web.get(r"/campaigns/{id:\d+}/export.xlsx", campaign_pages.export_xlsx),
        web.get(r"/campaigns/{id:\d+}/attempts.csv", campaign_pages.attempts_csv),
        web.get(r"/campaigns/{id:\d+}/attempts.xlsx", campaign_pages.attempts_xlsx),
        web.get("/dnc", dnc_pages.dnc_page, name="dnc"),
        web.post("/dnc", dnc_pages.add),
        web.post("/dnc/remove", dnc_pages.remove),
        web.post("/dnc/import", dnc_pages.import_file),
        web.get("/dnc/export.csv", dnc_pages.export_csv),
        web.get("/dnc/export.xlsx", dnc_pages.export_xlsx),
    ])
    app.router.add_routes([  # the agents' callbacks and follow-ups (回拨, 回访); assigning a follow-up
        web.get("/callbacks", callback_pages.callback_list, name="callbacks"),
        web.get("/callbacks/count", callback_pages.count),
        web.get("/callbacks/new", callback_forms.new_form, name="callback_new"),
        web.post("/callbacks/new", callback_forms.create),
        web.post(r"/callbacks/{id:\d+}/call", callback_pages.call_now),
        web.post("/dial", callback_pages.dial),
        web.post(r"/callbacks/{id:\d+}/done", callback_pages.done),
        web.post(r"/callbacks/{id:\d+}/cancel", callback_pages.cancel),
        web.post(r"/followups/{id:\d+}", followup_pages.answer),
        web.post(r"/campaigns/{id:\d+}/contacts/{contact_id:\d+}/assign", followup_pages.assign),
    ])
    app.router.add_routes([  # the supervisors' floor (cti.supervision)
        web.get("/wallboard", wallboard_pages.wallboard, name="wallboard"),
        web.get("/wallboard/ws", wallboard_pages.wallboard_ws),
        web.get("/api/agent", agent_pages.me),
        web.post("/agents/login", agent_pages.login),
        web.post("/agents/logout", agent_pages.logout),
        web.post("/agents/pause", agent_pages.pause),
        web.post("/agents/unpause", agent_pages.unpause),
    ])
    app.router.add_routes(report_pages.routes())  # the supervisors' reports: pages, CSV and XLSX (stable URLs)
    app.router.add_static("/static/", web_dir() / "static", name="static", append_version=False)
