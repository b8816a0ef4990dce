"""The supervisors' reports (docs/METRICS.md, "Reports"): the index, each report's page (a chart and a
table) and its CSV/XLSX export, all read from the same query string — ``?period=day|week|month|custom
&from=YYYY-MM-DD&to=YYYY-MM-DD&region=<city>&view=<grouping>`` — so a report's URL is stable: a bookmark
or a script's fetch gets the same report. A value the query cannot use is a 400 in the user's language."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from cti.http import i18n, keys
from cti.http.org_support import scope_of
from cti.http.auth import SUPERVISORS, Handler, allow
from cti.http.downloads import send_sheet
from cti.http.templating import LANG_KEY, error_page, render
from cti.supervision.report_figures import PERIODS, PeriodError, parse_period
from cti.supervision.reports import REPORTS, Column, Report, run
from cti.supervision.reports_common import ReportQuery, regions

MAX_VALUE = 100  # characters of a query value: a city or a date is shorter
EMPTY = "—"  # a figure with nothing to divide by


class QueryError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def read_query(request: web.Request, report: Report) -> ReportQuery:
    """The report's query from the URL; :class:`QueryError` or :class:`PeriodError` when it cannot be used."""
    settings = request.app[keys.SETTINGS]
    raw = {k: request.query.get(k, "").strip() for k in ("period", "from", "to", "region", "view")}
    if any(len(v) > MAX_VALUE for v in raw.values()):
        raise QueryError("too_long")
    now = request.app[keys.SERVICE].clock()
    period = parse_period(raw["period"], raw["from"], raw["to"], today=now.astimezone(settings.zone).date())
    if raw["region"] and raw["region"] not in await request.app[keys.DB].read(regions):
        raise QueryError("region")
    view = raw["view"] or (report.views[0] if report.views else "")
    if view and view not in report.views:
        raise QueryError("view")
    return ReportQuery(period=period, region=raw["region"], zone=settings.zone, now=now, view=view,
                       scope=await scope_of(request))


def canonical(query: ReportQuery) -> dict[str, str]:
    """The query string that names this report again (the resolved period's days, not "today")."""
    values = {"period": query.period.kind, "from": query.period.start.isoformat()}
    if query.period.kind == "custom":
        values["to"] = query.period.end.isoformat()
    return values | ({"region": query.region} if query.region else {}) | ({"view": query.view} if query.view else {})


def label(lang: str, column: Column, view: str) -> str:
    key = column.label or f"report.col.{column.key}"
    return i18n.translate(lang, key.format(view=view or "default"))


def cell_text(lang: str, column: Column, value: Any) -> str:
    """A value as the page shows it: "—" for a figure with nothing to divide by."""
    if value is None:
        return EMPTY
    if column.kind == "pct":
        return f"{value * 100:.1f}%"
    if column.kind == "rate":
        return f"{value * 100:.2f}%"
    if column.kind == "seconds":
        return i18n.seconds(value)
    if column.kind == "mean":
        return f"{value:.2f}"
    if column.translate:
        return i18n.translate(lang, f"{column.translate}.{value}")
    return str(value)


def cell_value(lang: str, column: Column, value: Any) -> Any:
    """A value as the export writes it: numbers stay numbers (percentages in %, seconds rounded)."""
    if value is None:
        return EMPTY
    if column.kind in ("pct", "rate"):
        return round(value * 100, 2 if column.kind == "pct" else 4)
    if column.kind in ("seconds", "mean"):
        return round(value, 2)
    return cell_text(lang, column, value) if column.kind == "text" else value


def export_label(lang: str, column: Column, view: str) -> str:
    unit = {"pct": " (%)", "rate": " (%)", "seconds": " (s)"}.get(column.kind, "")
    return label(lang, column, view) + unit


def chart_data(lang: str, report: Report, rows: Sequence[dict[str, Any]], view: str) -> dict[str, Any]:
    """What the page's chart draws (embedded as JSON, read by ``report-chart.js``)."""
    columns = {c.key: c for c in report.columns}
    shown = rows[:report.chart.limit]
    category = columns[report.chart.category]
    series = []
    for key in report.chart.series:
        column = columns[key]
        scale = 100 if column.kind in ("pct", "rate") else 1
        series.append({"name": label(lang, column, view),
                       "data": [None if r[key] is None else round(r[key] * scale, 2) for r in shown]})
    percent = all(columns[k].kind in ("pct", "rate") for k in report.chart.series)
    return {"categories": [cell_text(lang, category, r[category.key]) for r in shown], "series": series,
            "unit": "%" if percent else "", "empty": i18n.translate(lang, "report.chart_empty")}


def script_json(data: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` element: ``<``, ``>`` and ``&`` escaped as ``\\u00XX``,
    so no value can close the element (the page reads it with JSON.parse; HTML escaping would not be undone)."""
    text = json.dumps(data, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _lang(request: web.Request) -> str:
    return request.get(LANG_KEY) or i18n.pick(request.app[keys.SETTINGS].language)


def _form(request: web.Request, query: ReportQuery | None) -> dict[str, str]:
    """The filter form's values: the query's as resolved, or as typed when it was refused."""
    if query is None:
        return {k: request.query.get(k, "")[:MAX_VALUE] for k in ("period", "from", "to", "region", "view")}
    return {"period": query.period.kind, "from": query.period.start.isoformat(), "to": query.period.end.isoformat(),
            "region": query.region, "view": query.view}


def report_page(report: Report) -> Handler:
    @allow(SUPERVISORS)
    async def page(request: web.Request) -> web.StreamResponse:
        lang = _lang(request)
        context: dict[str, Any] = {"report": report, "periods": PERIODS, "nav": "reports",
                                   "regions": await request.app[keys.DB].read(regions)}
        try:
            query = await read_query(request, report)
        except (PeriodError, QueryError) as exc:
            return await render(request, "report.html", context | {"form": _form(request, None),
                                                                   "error": f"report.error.{exc.code}"}, status=400)
        rows = await request.app[keys.DB].read(run, report, query)
        return await render(request, "report.html", context | {
            "form": _form(request, query), "error": None, "query": urlencode(canonical(query)),
            "header": [label(lang, c, query.view) for c in report.columns],
            "columns": report.columns,
            "rows": [[cell_text(lang, c, row[c.key]) for c in report.columns] for row in rows],
            "chart_json": script_json(chart_data(lang, report, rows, query.view)),
            "period_end": query.period.end.isoformat(),
        })

    return page


def report_export(report: Report, kind: str) -> Handler:
    @allow(SUPERVISORS)
    async def export(request: web.Request) -> web.StreamResponse:
        lang = _lang(request)
        try:
            query = await read_query(request, report)
        except (PeriodError, QueryError) as exc:
            return await error_page(request, 400, f"report.error.{exc.code}")
        rows = await request.app[keys.DB].read(run, report, query)
        name = f"{report.name}-{query.period.start:%Y%m%d}-{query.period.end:%Y%m%d}"
        header = [export_label(lang, c, query.view) for c in report.columns]
        return await send_sheet(request, name=name, kind=kind, header=header, rows=_cells(lang, report, rows))

    return export


async def _cells(lang: str, report: Report, rows: list[dict[str, Any]]) -> AsyncIterator[list[Any]]:
    for row in rows:
        yield [cell_value(lang, c, row[c.key]) for c in report.columns]


@allow(SUPERVISORS)
async def index(request: web.Request) -> web.StreamResponse:
    return await render(request, "reports.html", {"reports": list(REPORTS), "nav": "reports"})


def routes() -> list[web.RouteDef]:
    """``/reports`` and, for each report, ``/reports/<name>`` with its ``.csv`` and ``.xlsx``."""
    found = [web.get("/reports", index, name="reports")]
    for name, report in REPORTS.items():
        found += [web.get(f"/reports/{name}", report_page(report)),
                  web.get(f"/reports/{name}.csv", report_export(report, "csv")),
                  web.get(f"/reports/{name}.xlsx", report_export(report, "xlsx"))]
    return found
