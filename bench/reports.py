"""The supervisors' reports at scale: a year of 5,000,000 calls and 1,000,000 tickets (with their SLA
clocks, completion reports, follow-up ratings and callbacks, ``bench/reports_data.py``) on SQLite and
PostgreSQL (the server of ``CTI_BENCH_PG_URL`` or ``CTI_TEST_DATABASE_URL``). Every figure goes through
the service's own code (``Database.read`` of ``cti.supervision.reports.run``) on the real schema, so it
is what a supervisor waits for (the page's rendering aside). Target: each report ≤ 2 s.

    .venv/bin/python bench/reports.py                      # 5 M calls, 1 M tickets, both databases
    .venv/bin/python bench/reports.py --scale 0.1 --db sqlite
    .venv/bin/python bench/reports.py --db sqlite --rebuild   # the kept data, its aggregates built again

The data is written once in bulk after the real migrations (sqlite3 executemany; asyncpg COPY), then the
daily aggregates are built by ``cti.supervision.reports_build.rebuild`` for the whole year (timed: what
``cti reports rebuild`` costs), and kept: ``var/bench/reports-<calls>-<tickets>.db`` and the database
``cti_bench_reports_<calls>_<tickets>``. Each report runs twice (the first may read from disk), for a
day, a month and a year, all regions and one. Numbers go to ``var/bench/reports-<time>.json`` too.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.reports_data import COLUMNS, Generator, Size  # noqa: E402
from cti.store import Database  # noqa: E402
from cti.store.migrate import upgrade  # noqa: E402
from cti.supervision.report_figures import parse_period  # noqa: E402
from cti.supervision.reports import REPORTS, run  # noqa: E402
from cti.supervision.reports_build import rebuild  # noqa: E402
from cti.supervision.reports_common import ReportQuery  # noqa: E402

CACHE = HERE.parent / "var" / "bench"
ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)  # the year ends here
TARGET = 2.0  # seconds
PERIODS = (("day", "2026-11-18", ""), ("month", "2026-11-01", ""), ("custom", "2025-12-01", "2026-11-30"))
SERIAL = ("service_outlets", "engineers", "service_regions", "customers", "products", "tickets", "sla_clocks",
          "completion_reports", "completion_parts", "ticket_calls", "calls", "campaigns", "campaign_contacts",
          "survey_ratings")


def parts(gen: Generator):
    yield from gen.setup()
    for part in (gen.customers(), gen.tickets(), gen.calls(), gen.callbacks()):
        yield from part


def _insert_sql(table: str) -> str:
    cols = COLUMNS[table]
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


async def build_sqlite(path: Path, size: Size) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    if path.exists():
        return url
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = Database(f"sqlite+aiosqlite:///{tmp}")
    await upgrade(db)
    await db.close()
    conn = sqlite3.connect(tmp)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    started = time.perf_counter()
    for chunk in parts(Generator(size, NOW, text_times=True)):
        for table, rows in chunk:
            if rows:
                conn.executemany(_insert_sql(table), rows)
        conn.commit()
    print(f"  sqlite: filled in {time.perf_counter() - started:.0f} s", flush=True)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    tmp.rename(path)
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    await aggregates(url, "sqlite")
    return url


async def build_postgres(server: str, size: Size) -> str:
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(server)
    name = f"cti_bench_reports_{size.calls}_{size.tickets}"
    plain = lambda url: url.set(drivername="postgresql").render_as_string(hide_password=False)  # noqa: E731
    admin = await asyncpg.connect(plain(base.set(database="postgres")))
    exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    target = base.set(database=name).render_as_string(hide_password=False)
    if exists:
        await admin.close()
        return target
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}_tmp"')
    await admin.execute(f'CREATE DATABASE "{name}_tmp"')
    await admin.close()
    tmp = base.set(database=f"{name}_tmp")
    db = Database(tmp.render_as_string(hide_password=False))
    await upgrade(db)
    await db.close()
    conn = await asyncpg.connect(plain(tmp))
    started = time.perf_counter()
    for chunk in parts(Generator(size, NOW, text_times=False)):
        for table, rows in chunk:
            if rows:
                await conn.copy_records_to_table(table, records=rows, columns=list(COLUMNS[table]))
    for table in SERIAL:
        await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT coalesce(max(id), 1) FROM {table}))")
    await conn.execute("ANALYZE")
    await conn.close()
    print(f"  postgres: filled in {time.perf_counter() - started:.0f} s", flush=True)
    await aggregates(tmp.render_as_string(hide_password=False), "postgres")
    admin = await asyncpg.connect(plain(base.set(database="postgres")))
    await admin.execute(f'ALTER DATABASE "{name}_tmp" RENAME TO "{name}"')
    await admin.close()
    return target


async def aggregates(url: str, backend: str) -> None:
    """The year's daily aggregates, as ``cti reports rebuild --from --to`` builds them."""
    db = Database(url)
    started = time.perf_counter()
    last = NOW.astimezone(ZONE).date()
    rows = await rebuild(db, last - dt.timedelta(days=366), last, ZONE, now=NOW)
    print(f"  {backend}: aggregates rebuilt for 367 days ({rows} rows) in {time.perf_counter() - started:.0f} s",
          flush=True)
    await db.close()


async def measure(url: str) -> dict[str, dict[str, float]]:
    db = Database(url)
    results: dict[str, dict[str, float]] = {}
    try:
        for name, report in REPORTS.items():
            for kind, start, end in PERIODS:
                for region in ("", "上海市"):
                    period = parse_period(kind, start, end, today=NOW.astimezone(ZONE).date())
                    query = ReportQuery(period=period, region=region, zone=ZONE, now=NOW, view=(report.views or ("",))[0])
                    times = []
                    for _ in range(2):
                        started = time.perf_counter()
                        rows = await db.read(run, report, query)
                        times.append(time.perf_counter() - started)
                    label = f"{kind}{' ' + region if region else ''}"
                    results.setdefault(name, {})[label] = round(max(times[1], 0), 3)
                    results[name][label + " (first)"] = round(times[0], 3)
                    print(f"  {name:10s} {label:16s} {times[0] * 1000:8.0f} ms first {times[1] * 1000:8.0f} ms"
                          f"  ({len(rows)} rows){'  OVER TARGET' if times[1] > TARGET else ''}", flush=True)
    finally:
        await db.close()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="a fraction of 5 M calls and 1 M tickets")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the aggregates of a kept database first")
    args = parser.parse_args()
    size = Size(calls=int(5_000_000 * args.scale), tickets=int(1_000_000 * args.scale))
    CACHE.mkdir(parents=True, exist_ok=True)
    found: dict[str, object] = {"calls": size.calls, "tickets": size.tickets}
    if args.db in ("sqlite", "both"):
        print(f"sqlite, {size.calls:,} calls and {size.tickets:,} tickets", flush=True)
        path = CACHE / f"reports-{size.calls}-{size.tickets}.db"
        kept = path.exists()
        url = await build_sqlite(path, size)
        if kept and args.rebuild:
            await aggregates(url, "sqlite")
        found["sqlite"] = await measure(url)
    server = os.environ.get("CTI_BENCH_PG_URL") or os.environ.get("CTI_TEST_DATABASE_URL")
    if args.db in ("postgres", "both") and server:
        print(f"postgres, {size.calls:,} calls and {size.tickets:,} tickets", flush=True)
        url = await build_postgres(server, size)
        if args.rebuild:
            await aggregates(url, "postgres")
        found["postgres"] = await measure(url)
    elif args.db in ("postgres", "both"):
        print("postgres skipped: set CTI_BENCH_PG_URL or CTI_TEST_DATABASE_URL")
    out = CACHE / f"reports-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    asyncio.run(main())
