"""The supervisors' reports (issue 9): each one's columns, its chart and the query that fills its table.

A report is a table of rows (dicts keyed by column) and a chart drawn from some of its columns; the
console shows both and exports the table (``cti/http/report_pages.py``). Column labels are translated
as ``report.col.<key>``; a column's ``kind`` says how a value is shown: ``text``, ``count``, ``pct``
(a share 0..1, "—" when None), ``rate`` (a share per unit, two decimals), ``seconds``, ``mean`` (a rating).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from cti.supervision.reports_callbacks import callback_rows
from cti.supervision.reports_calls import agent_rows, queue_rows
from cti.supervision.reports_common import ReportQuery
from cti.supervision.reports_tickets import engineer_rows, model_rows, sla_rows

KINDS = ("text", "count", "pct", "rate", "seconds", "mean")


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    kind: str = "count"
    label: str = ""  # the translation key when not report.col.<key>
    translate: str = ""  # text cells translated as <translate>.<value> (a service type, a source)


@dataclass(frozen=True, slots=True)
class Chart:
    category: str  # the column along the axis
    series: tuple[str, ...]  # the columns drawn as bars
    limit: int = 30  # the first rows only: a chart of 200 models says nothing


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    columns: tuple[Column, ...]
    chart: Chart
    rows: Callable[[Session, ReportQuery], list[dict[str, Any]]]
    views: tuple[str, ...] = ()  # alternative groupings (?view=); the first is the default


CSAT = (Column("csat", "pct"), Column("csat_mean", "mean"), Column("ratings"))
CALLS = (Column("offered"), Column("answered"), Column("abandoned"), Column("short_abandoned"),
         Column("service_level", "pct"), Column("abandon_rate", "pct"), Column("asa", "seconds"),
         Column("aht", "seconds"))
PROMISES = (Column("kept"), Column("broken"), Column("pending"), Column("kept_share", "pct"))

REPORTS: dict[str, Report] = {r.name: r for r in (
    Report("queues", (Column("name", "text", "report.col.queue"), *CALLS, *CSAT),
           Chart("name", ("service_level", "abandon_rate")), queue_rows),
    Report("agents", (Column("name", "text", "report.col.agent"), *CALLS, *CSAT),
           Chart("name", ("answered",)), agent_rows),
    Report("models", (Column("name", "text", "report.col.model"), Column("units"), Column("complaints"),
                      Column("complaint_rate", "rate"), Column("repairs"), Column("fault_rate", "rate"),
                      Column("faults", "text")),
           Chart("name", ("complaint_rate", "fault_rate"), limit=20), model_rows),
    Report("engineers", (Column("name", "text", "report.col.engineers.name.{view}"),
                         Column("outlet", "text", "report.col.engineers.outlet.{view}"), Column("promises"),
                         *PROMISES, *CSAT),
           Chart("name", ("kept_share", "csat")), engineer_rows, views=("engineer", "outlet")),
    Report("sla", (Column("service_type", "text", translate="ticket.type"),
                   Column("promises", label="report.col.sla_promises"),
                   Column("first_contact_share", "pct"), Column("on_site_share", "pct"),
                   Column("resolution_share", "pct"), *PROMISES),
           Chart("service_type", ("first_contact_share", "on_site_share", "resolution_share")), sla_rows),
    Report("callbacks", (Column("source", "text", translate="report.source"), Column("callbacks"), *PROMISES,
                         Column("left_out")),
           Chart("source", ("kept_share",)), callback_rows),
)}


def run(session: Session, report: Report, query: ReportQuery) -> list[dict[str, Any]]:
    """The report's rows (a unit of work for ``Database.read``)."""
    return report.rows(session, query)
