"""SLA tick benchmark: the CPU of one tick (``cti.tickets.timers.fire_due``) with many open tickets.

    .venv/bin/python bench/sla_tick.py                                  # 100,000 open tickets, SQLite file
    .venv/bin/python bench/sla_tick.py --tickets 20000 --url postgresql+asyncpg://user:pw@host/empty_db

Two clocks per ticket (first contact, resolution): 15 % broken long ago, announced and still running
(what a plain index on ``due_at`` made every tick walk), 60 falling due since the last tick, the rest
due within 30 days; one ticket in ten a complaint (their breaches escalate). Then four ticks 30 s
apart: the first announces the 60 breaches and what is at risk, the next ones what fell due since.
Goal: ≤ 1 s of CPU per tick (process time, so the SQLite worker thread counts); the steady ticks
should cost a few milliseconds, whatever the number of open tickets.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402

import cti.store.models  # noqa: E402,F401  (every table: foreign keys resolve)
from cti.customers.models import Customer  # noqa: E402
from cti.store import Database  # noqa: E402
from cti.store.migrate import upgrade  # noqa: E402
from cti.tickets.escalation import Rules  # noqa: E402
from cti.tickets.models import SlaClock, Ticket  # noqa: E402
from cti.tickets.timers import fire_due  # noqa: E402

NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
TARGET_MS = 1000.0


def seed(session, tickets: int) -> None:
    rnd = random.Random(1)
    session.execute(insert(Customer), [{"id": 1, "name": "bench"}])
    rows, clocks = [], []
    for i in range(1, tickets + 1):
        rows.append({"id": i, "number": f"B{i:09d}", "customer_id": 1, "workflow": "carry_in",
                     "service_type": "complaint" if i % 10 == 0 else "repair", "state": "awaiting_repair",
                     "is_open": True, "opened_by": "bench", "opened_at": NOW, "updated_at": NOW, "sla_status": "ok"})
        for n, kind in enumerate(("first_contact", "resolution")):
            fired = None
            if rnd.random() < 0.15:  # broken long ago, announced, still running
                due = fired = NOW - dt.timedelta(days=rnd.uniform(1, 20))
            elif i <= 60 and n == 0:  # fell due since the last tick
                due = NOW - dt.timedelta(seconds=rnd.uniform(0, 30))
            else:
                due = NOW + dt.timedelta(days=rnd.uniform(0.01, 30))
            risk = due - dt.timedelta(hours=5)
            clocks.append({"ticket_id": i, "kind": kind, "calendar": "business", "budget_seconds": 86400.0,
                           "used_seconds": 0.0, "running_since": NOW - dt.timedelta(days=1), "due_at": due,
                           "at_risk_at": risk, "breach_fired_at": fired,
                           "at_risk_fired_at": fired or (risk if risk <= NOW - dt.timedelta(seconds=30) else None)})
    for start in range(0, len(rows), 5000):
        session.execute(insert(Ticket), rows[start:start + 5000])
    for start in range(0, len(clocks), 5000):
        session.execute(insert(SlaClock), clocks[start:start + 5000])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--url", default="", help="an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'sla-bench.db'}"
    db = Database(url)
    try:
        await upgrade(db)
        started = time.perf_counter()
        await db.write(seed, args.tickets)
        if not db.is_sqlite:
            async with db.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        print(f"{args.tickets} open tickets seeded in {time.perf_counter() - started:.1f} s ({db.url.get_backend_name()})")
        for n in range(4):
            cpu, wall = time.process_time(), time.perf_counter()
            _, events = await db.write(fire_due, NOW + dt.timedelta(seconds=30 * n), Rules())
            cpu_ms, wall_ms = (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000
            verdict = "ok" if cpu_ms <= TARGET_MS else "OVER"
            print(f"tick {n + 1}: {len(events):3d} events, CPU {cpu_ms:6.1f} ms, wall {wall_ms:6.1f} ms  [{verdict}]")
    finally:
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
