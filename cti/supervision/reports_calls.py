"""The queues' and the agents' reports: the daily aggregates of the period summed, the figures computed
from the sums (``report_figures.figures_of``), CSAT beside them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cti.calls.models import Call
from cti.campaigns.models import SurveyRating
from cti.supervision.metrics import Csat
from cti.supervision.models import QueueSetting
from cti.supervision.report_figures import TOTAL_FIELDS, CallTotals, figures_of
from cti.supervision.reports_common import ReportQuery, csat_cells, in_region, ratings_by
from cti.supervision.reports_models import ReportAgentDay, ReportQueueDay
from cti.tickets.models import Ticket, TicketCall
from cti.users.models import User


def queue_rows(session: Session, query: ReportQuery) -> list[dict[str, Any]]:
    """One row per queue with calls in the period."""
    totals = _summed(session, ReportQueueDay, ReportQueueDay.queue, query)
    ratings = ratings_by(session, query, rated_queue())
    units = dict(session.execute(select(QueueSetting.queue, QueueSetting.org_unit_id)).all())
    return [{"name": queue, **_figure_cells(t), **csat_cells(ratings.get(queue))} for queue, t in totals
            if query.scope.covers(units.get(queue))]


def agent_rows(session: Session, query: ReportQuery) -> list[dict[str, Any]]:
    """One row per agent (PBX interface) with calls in the period, named after the login bound to it."""
    totals = _summed(session, ReportAgentDay, ReportAgentDay.agent, query)
    bound = session.execute(select(User.username, User.interface, User.display_name, User.org_unit_id)
                            .where(User.interface.is_not(None))).all()
    names = {iface: name for _, iface, name, _ in bound}
    units = {iface: unit for _, iface, _, unit in bound}  # a phone no login is bound to: the head office's
    by_login = ratings_by(session, query, SurveyRating.agent)  # a rating names the login that resolved the ticket
    ratings: dict[str, Csat] = {iface: by_login[login] for login, iface, _, _ in bound if login in by_login}
    return [{"name": f"{names[iface]} ({iface})" if names.get(iface) else iface, **_figure_cells(t),
             **csat_cells(ratings.get(iface))} for iface, t in totals if query.scope.covers(units.get(iface))]


def _summed(session: Session, table: Any, key: Any, query: ReportQuery) -> list[tuple[str, CallTotals]]:
    sums = [func.sum(getattr(table, f)) for f in TOTAL_FIELDS]
    stmt = (select(key, *sums).where(table.day >= query.period.start, table.day <= query.period.end)
            .group_by(key).order_by(key))
    return [(name, CallTotals(*(int(v or 0) for v in values[:5]), *(float(v or 0) for v in values[5:])))
            for name, *values in session.execute(in_region(stmt, table.city, query.region))]


def _figure_cells(totals: CallTotals) -> dict[str, Any]:
    f = figures_of(totals)
    return {"offered": f.offered, "answered": f.answered, "abandoned": f.abandoned,
            "short_abandoned": f.short_abandoned, "service_level": f.service_level, "abandon_rate": f.abandon_rate,
            "asa": f.asa, "aht": f.aht}


def rated_queue() -> Any:
    """The queue a rated ticket came through: the queue of its linked inbound calls (the first by name when
    they came through several)."""
    return (select(func.min(Call.queue)).join(TicketCall, TicketCall.call_id == Call.call_id)
            .where(TicketCall.ticket_id == Ticket.id, Call.queue != "", Call.direction == "inbound")
            .correlate(Ticket).scalar_subquery())
