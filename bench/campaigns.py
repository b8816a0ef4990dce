"""Campaigns at scale (issue 8): a running campaign of 100,000 contacts on SQLite and PostgreSQL — how
fast the dialer claims them, what each attempt's bookkeeping costs, the CPU while nothing is due, and
memory. It prints numbers and writes them to ``var/bench/campaigns-<time>.json``; no test asserts them.

    .venv/bin/python bench/campaigns.py                        # 100,000 contacts, SQLite and PostgreSQL
    .venv/bin/python bench/campaigns.py --quick --db sqlite    # 5,000 contacts
    .venv/bin/python bench/campaigns.py --quick --parts burst --explain   # the claim's query plans

PostgreSQL: the server of ``CTI_BENCH_PG_URL`` or ``CTI_TEST_DATABASE_URL`` (a user that may create
databases). Everything goes through the service's own code: ``cti.campaigns.dialer.Dialer`` over the
project's ``Database`` (``read``/``write``), as ``cti/app.py`` wires it; only the PBX is simulated (an
Originate is "sent" at once and its outcome lands at once, through ``Dialer.handle_batch`` with the
tracker's events).

* **day**: contacts whose ``next_at`` are spread evenly over one day's calling window (Tuesday
  2026-12-01, 09:00–20:00 Asia/Shanghai), 30 lines, 600 calls a minute. A simulated clock steps one
  second per dialer tick (``Dialer.tick``: the indexed read, the claim's transaction, the plans, the
  Originates, ``dialled``) from 09:00 to 20:00; every attempt's outcome lands right after its tick
  (answered 60 %, no answer 20 %, busy 15 %, failed 5 %, seeded by ActionID), so its line is free
  again and the retries (the default policy: no answer after 30 min, busy after 10, failed after 60)
  come due later in the day. A second in which nothing is due is skipped (the clock jumps to the
  next due contact: the real dialer spends it on one indexed read, measured by **idle**).
* **burst**: the same number of contacts all due at the same instant, 500 lines, no pacing limit:
  the dialer's ticks (a claim round takes at most the dialer's ``limit``, 50, as the service wires
  it) until every contact was claimed once.
* **idle**: the contacts all due tomorrow, the real dialer job on the project's scheduler
  (``cti.scheduler.Scheduler``, ``Dialer.tick`` every ``DIAL_SECONDS``), the process otherwise
  idle for ``--idle-seconds``: CPU seconds per minute of wall time, with the campaign running and
  then paused; before them the same with nothing scheduled, and with a job that does nothing (the
  scheduler's own cost). Target: about zero, no busy polling.

Per attempt: its share of its claim round (the tick's reads and writes divided by the claims it
made) plus its ``record_outcome`` transaction. CPU is this process's (``time.process_time``: the
SQLite worker threads included); on PostgreSQL the server's backends are counted apart (from
``/proc``). Memory: the process's peak RSS in each part (VmHWM, reset between parts), and
``tracemalloc``'s peak during the heaviest claim rounds (the first ticks of the burst, not timed).

The databases are built once, in bulk, after the real migrations and cached
(``var/bench/campaigns-v<VERSION>-<day|burst>-<n>.db``; databases
``cti_bench_campaigns_v<VERSION>_<day|burst>_<n>`` on the PostgreSQL server); each part runs on a fresh copy of one (SQLite's backup API; ``CREATE DATABASE …
TEMPLATE``), dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import resource
import sqlite3
import sys
import time
import tracemalloc
import zlib
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import event, func, select, text, update  # noqa: E402

import cti.store.models  # noqa: E402,F401  (every table: foreign keys resolve)
from bench.stats import spread  # noqa: E402
from cti.campaigns.dialer import DIAL_SECONDS, SENT, Dialer  # noqa: E402
from cti.campaigns.models import Campaign, CampaignContact  # noqa: E402
from cti.events import CallEnded, Direction, Disposition, OriginateFailed  # noqa: E402
from cti.scheduler import Scheduler  # noqa: E402
from cti.store import Database  # noqa: E402
from cti.store.migrate import upgrade  # noqa: E402
from cti.tickets.calendar import ChinaHolidays  # noqa: E402

CACHE = HERE.parent / "var" / "bench"
VERSION = 2  # of the generated data: a change makes new cache names
ZONE = "Asia/Shanghai"  # the service's default CTI_TIMEZONE, and every contact's (Chinese numbers)
LOCAL = ZoneInfo(ZONE)
DAY = dt.date(2026, 12, 1)  # a Tuesday, a working day
OPENS = dt.datetime.combine(DAY, dt.time(9), LOCAL).astimezone(dt.UTC)
CLOSES = dt.datetime.combine(DAY, dt.time(20), LOCAL).astimezone(dt.UTC)
WINDOW = {str(d): [["09:00", "20:00"]] for d in range(7)}
IDLE_AT = OPENS - dt.timedelta(days=1) + dt.timedelta(hours=1)  # Monday 10:00: window open, everyone due tomorrow
TICK = dt.timedelta(seconds=DIAL_SECONDS)
MIX = (("answered", 60), ("no_answer", 20), ("busy", 15), ("failed", 5))  # per attempt, in %
CAUSE = {"no_answer": 19, "busy": 17, "failed": 0}  # the dialled leg's Hangup cause the tracker reports
NO_PACING = 1_000_000.0  # calls a minute: pacing never binds


# ----------------------------------------------------------------------------------------------- data

def number(i: int) -> str:
    """The i-th contact's number: mostly mobiles, one in eight a Beijing or Shanghai landline."""
    if i % 8 == 0:
        return f"+86{10 if i % 16 else 21}{60000000 + i:08d}"
    return f"+86{(138, 139, 150, 186, 199)[i % 5]}{i:08d}"


CONTACT_COLUMNS = ("id", "campaign_id", "e164", "name", "language", "data", "state", "outcome", "attempts", "source",
                   "reason", "origin_call_id", "next_at", "created_at", "updated_at")
DNC_COLUMNS = ("e164", "source", "note", "added_by", "added_at")


def contacts(n: int, spread_day: bool, seed: int, when=lambda t: t) -> list[tuple]:
    """n pending contacts of campaign 1 (``CONTACT_COLUMNS``), due evenly over the day's window or all at its
    opening; ``when`` writes a time as the database takes it."""
    rnd = random.Random(seed)
    span = (CLOSES - OPENS).total_seconds()
    created = when(OPENS - dt.timedelta(days=1))
    return [(i, 1, number(i), f"客户{i}", "", "{}", "pending", "", 0, "import", "", "",
             when(OPENS + dt.timedelta(seconds=rnd.uniform(0, span)) if spread_day else OPENS), created, created)
            for i in range(1, n + 1)]


def do_not_call(n: int, when=lambda t: t) -> list[tuple]:
    """A list of n/100 numbers (``DNC_COLUMNS``): half of them are contacts' (every 200th), half are not."""
    numbers = [number(i) for i in range(200, n + 1, 200)]
    numbers += [f"+86137{i:08d}" for i in range(max(1, n // 100) - len(numbers))]
    added = when(OPENS - dt.timedelta(days=30))
    return [(e, "import", "", "bench", added) for e in numbers]


def add_campaign(session) -> None:
    session.add(Campaign(id=1, name="回访 bench", kind="survey", state="running", window=WINDOW, max_concurrent=30,
                         per_minute=600, retry={}, created_by="bench"))


def sqlite_time(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as cti.store.base.UTCDateTime stores it


async def build_sqlite(path: Path, n: int, spread_day: bool, seed: int) -> None:
    if path.exists():  # built by an earlier run: brought to the current schema
        db = Database(f"sqlite+aiosqlite:///{path}")
        await upgrade(db)
        await db.close()
        return
    started = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    for old in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        old.unlink(missing_ok=True)
    db = Database(f"sqlite+aiosqlite:///{tmp}")
    await upgrade(db)
    await db.write(add_campaign)
    await db.close()
    conn = sqlite3.connect(tmp)
    for table, cols, rows in (("campaign_contacts", CONTACT_COLUMNS, contacts(n, spread_day, seed, sqlite_time)),
                              ("do_not_call", DNC_COLUMNS, do_not_call(n, sqlite_time))):
        conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
    conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    tmp.rename(path)
    print(f"  built {path.name}: {n:,} contacts in {time.perf_counter() - started:.1f} s", flush=True)


def pg_dsn(url: str, database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url).set(drivername="postgresql")
    return (u.set(database=database) if database else u).render_as_string(hide_password=False)


def pg_url(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def build_postgres(server: str, name: str, n: int, spread_day: bool, seed: int) -> None:
    import asyncpg

    admin = await asyncpg.connect(pg_dsn(server, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}_tmp"')
            await admin.execute(f'CREATE DATABASE "{name}_tmp"')
    finally:
        await admin.close()
    if exists:  # built by an earlier run: brought to the current schema
        db = Database(pg_url(server, name))
        await upgrade(db)
        await db.close()
        return
    started = time.perf_counter()
    db = Database(pg_url(server, f"{name}_tmp"))
    await upgrade(db)
    await db.write(add_campaign)
    await db.close()
    conn = await asyncpg.connect(pg_dsn(server, f"{name}_tmp"))
    try:
        for table, cols, rows in (("campaign_contacts", CONTACT_COLUMNS, contacts(n, spread_day, seed)),
                                  ("do_not_call", DNC_COLUMNS, do_not_call(n))):
            await conn.copy_records_to_table(table, records=rows, columns=cols)
        for table in ("campaigns", "campaign_contacts"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        await conn.execute("VACUUM ANALYZE")  # statistics; nothing left for autovacuum (it would hold up the copies)
    finally:
        await conn.close()
    admin = await asyncpg.connect(pg_dsn(server, "postgres"))
    try:
        await admin.execute(f'ALTER DATABASE "{name}_tmp" RENAME TO "{name}"')
    finally:
        await admin.close()
    print(f"  built {name}: {n:,} contacts in {time.perf_counter() - started:.1f} s", flush=True)


@dataclass
class Backend:
    """Where the cached databases are, and a fresh copy of one for each part."""

    name: str  # sqlite | postgres
    n: int
    server: str = ""  # PostgreSQL: the server's URL

    def cached(self, kind: str) -> str:
        return (str(CACHE / f"campaigns-v{VERSION}-{kind}-{self.n}.db") if self.name == "sqlite"
                else f"cti_bench_campaigns_v{VERSION}_{kind}_{self.n}")

    async def build(self, kind: str, seed: int) -> None:
        if self.name == "sqlite":
            await build_sqlite(Path(self.cached(kind)), self.n, kind == "day", seed)
        else:
            await build_postgres(self.server, self.cached(kind), self.n, kind == "day", seed)

    async def drop_cache(self, kind: str) -> None:
        if self.name == "sqlite":
            Path(self.cached(kind)).unlink(missing_ok=True)
            return
        import asyncpg

        admin = await asyncpg.connect(pg_dsn(self.server, "postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.cached(kind)}" WITH (FORCE)')
        finally:
            await admin.close()

    @contextlib.asynccontextmanager
    async def copy(self, kind: str):
        """A fresh copy of the cached database ``kind``: its URL; removed afterwards."""
        if self.name == "sqlite":
            path = CACHE / f"campaigns-run-{os.getpid()}.db"
            for old in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                old.unlink(missing_ok=True)
            src, dst = sqlite3.connect(self.cached(kind)), sqlite3.connect(path)
            src.backup(dst)
            src.close()
            dst.close()
            try:
                yield f"sqlite+aiosqlite:///{path}"
            finally:
                for old in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                    old.unlink(missing_ok=True)
            return
        import asyncpg

        run = f"cti_bench_campaigns_run_{os.getpid()}"
        admin = await asyncpg.connect(pg_dsn(self.server, "postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)')
            for wait in (0.5, 1, 2, 4, 8, 0):  # a template must have no session (autovacuum may be visiting it)
                try:
                    await admin.execute(f'CREATE DATABASE "{run}" TEMPLATE "{self.cached(kind)}"')
                    break
                except asyncpg.ObjectInUseError:
                    if not wait:
                        raise
                    await asyncio.sleep(wait)
        finally:
            await admin.close()
        try:
            yield pg_url(self.server, run)
        finally:
            admin = await asyncpg.connect(pg_dsn(self.server, "postgres"))
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)')
            finally:
                await admin.close()


# ------------------------------------------------------------------------------------------ measuring

class Timed:
    """The project's Database, each ``read``/``write`` timed (wall, process CPU) under its function's name."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.log: list[tuple[str, float, float]] = []

    async def read(self, fn, *args, **kwargs):
        return await self._timed(self.db.read, fn, args, kwargs)

    async def write(self, fn, *args, **kwargs):
        return await self._timed(self.db.write, fn, args, kwargs)

    async def _timed(self, op, fn, args, kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return await op(fn, *args, **kwargs)
        finally:
            self.log.append((fn.__name__, time.perf_counter() - wall, time.process_time() - cpu))


class Statements:
    """The SQL statements the engine runs, by verb and table; the text and parameters of some, on request."""

    def __init__(self, db: Database) -> None:
        self.counts: Counter[str] = Counter()
        self.captured: list[tuple[str, object]] | None = None
        self.on = True
        event.listen(db.read_engine, "before_cursor_execute", self._seen)

    @contextlib.contextmanager
    def off(self):
        """The bench's own statements (look-ahead, plans) are not counted."""
        self.on = False
        try:
            yield
        finally:
            self.on = True

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not self.on:
            return
        words = statement.split()
        verb = words[0].upper()
        if verb not in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            return  # SQLite's BEGIN (PostgreSQL's is not a statement here): left out of the counts, so both compare
        table = next((words[i + 1].strip('"') for i, w in enumerate(words[:-1])
                      if w.upper() in ("FROM", "INTO", "UPDATE")), "")
        self.counts[f"{verb} {table}".strip()] += 1
        if self.captured is not None:
            self.captured.append((statement, parameters))


def outcome_of(action_id: str) -> str:
    """The attempt's outcome, from its ActionID (seeded, the same on every backend and run)."""
    r = zlib.crc32(action_id.encode()) % 100
    for outcome, share in MIX:
        if r < share:
            return outcome
        r -= share
    raise AssertionError


def event_for(action_id: str, outcome: str, at: float) -> object:
    """What the tracker would publish for this attempt's end."""
    if outcome == "answered":
        return CallEnded(call_id=f"bench.{action_id}", at=at, disposition=Disposition.ANSWERED,
                         direction=Direction.OUTBOUND, caller_num="", caller_name="", dnis="", queue="",
                         offered_at=at - 60, answered_at=at - 50, wait_seconds=0, talk_seconds=50, answered_by="",
                         last_agent="", agents=(), hangup_cause=16, action_id=action_id)
    return OriginateFailed(action_id=action_id, at=at, dial_string="", cause=CAUSE[outcome], cause_text="", reason=0)


def rss_peak_reset() -> None:
    """Linux: reset the process's peak RSS (VmHWM) to its current RSS, so each part has its own peak."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def proc_kib(field_name: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # no /proc: the process's peak so far


def load() -> float:
    return round(os.getloadavg()[0], 2)


class ServerCpu:
    """PostgreSQL: CPU seconds of the server's client backends connected to the bench's database (a local
    server; autovacuum not counted)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.start: dict[int, float] = {}

    async def pids(self) -> list[int]:
        def query(session):
            return list(session.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                             "AND backend_type = 'client backend'")))

        return await self.db.read(query)

    @staticmethod
    def _cpu(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def begin(self) -> None:
        self.start = {pid: self._cpu(pid) for pid in await self.pids()}

    async def seconds(self) -> float:
        return sum(max(0.0, self._cpu(pid) - self.start.get(pid, 0.0)) for pid in await self.pids())


class SimClock:
    """The dialer's clock in the claiming parts: moved by the bench, a tick at a time."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Run:
    """What one claiming part measured."""

    claims: int = 0
    first: int = 0  # first attempts (distinct contacts reached)
    ticks: int = 0  # dialer ticks run (each second with something due)
    empty: int = 0  # ticks that claimed nothing
    skipped_seconds: int = 0  # seconds with nothing due, jumped over
    wall: float = 0.0  # the ticks and the outcomes, nothing of the bench's own bookkeeping
    cpu: float = 0.0
    # the samples, 8 bytes each (~10 MB at 100,000 contacts: they are in the peak RSS printed)
    per_attempt: array = field(default_factory=lambda: array("d"))
    per_attempt_cpu: array = field(default_factory=lambda: array("d"))
    by_op: dict[str, array] = field(default_factory=dict)
    per_round: array = field(default_factory=lambda: array("i"))
    outcomes: Counter[str] = field(default_factory=Counter)


def _next_due(session) -> dt.datetime | None:
    """The bench's own look-ahead (not timed): the earliest ``next_at`` of a pending contact (the due index)."""
    return session.scalar(select(func.min(CampaignContact.next_at)).where(
        CampaignContact.campaign_id == 1, CampaignContact.state == "pending"))


def _set_campaign(session, **values) -> None:
    session.execute(update(Campaign).where(Campaign.id == 1).values(**values))


def _contact_states(session) -> dict[str, int]:
    rows = session.execute(select(CampaignContact.state, func.count()).group_by(CampaignContact.state))
    return {state: count for state, count in rows}


async def claim_loop(db: Database, stop_at: dt.datetime, *, start: dt.datetime, burst: bool, explain: bool,
                     trace_rounds: int, contacts: int, out: dict) -> Run:
    """Drive the real dialer tick by tick on a simulated clock; every attempt's outcome lands after its tick."""
    timed = Timed(db)
    stmts = Statements(db)
    clock = SimClock(start)
    on_line: list[str] = []

    async def place(request) -> str:  # the PBX took the Originate
        on_line.append(request.action_id)
        return SENT

    dialer = Dialer(timed, place, zone=ZONE, holidays=ChinaHolidays(), clock=clock)
    out["dialer_limit"] = dialer._limit
    run = Run()
    server = ServerCpu(db) if not db.is_sqlite else None

    async def tick() -> tuple[int, list[str], int]:
        mark = len(timed.log)
        k = await dialer.tick()
        placed = list(on_line)
        on_line.clear()
        outcomes = [outcome_of(a) for a in placed]
        at = clock.now.timestamp()
        await dialer.handle_batch([event_for(a, o, at) for a, o in zip(placed, outcomes, strict=True)])
        run.outcomes.update(outcomes)
        return k, placed, mark

    if trace_rounds:  # tracemalloc's peak during the heaviest rounds (slows them: not timed)
        peaks = []
        tracemalloc.start()
        for _ in range(trace_rounds):
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            await tick()
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
            clock.now += TICK
        tracemalloc.stop()
        out["tracemalloc_round_kib"] = {"max": round(max(peaks) / 1024), "rounds": len(peaks),
                                        "claims": dialer.placed}
        dialer.placed = 0
    if server is not None:
        await server.begin()
    stmts.counts.clear()
    rss_peak_reset()
    out["rss_start_mib"] = round(proc_kib("VmRSS") / 1024, 1)
    captured_at = OPENS + (CLOSES - OPENS) / 2 if not burst else clock.now  # the round whose plans are shown
    explained = not explain
    began = time.perf_counter()
    report_at, report_claims = start + dt.timedelta(hours=1), max(1, contacts // 10)  # progress: every hour, or tenth

    while clock.now < stop_at:
        if clock.now >= report_at if not burst else run.claims >= report_claims:
            print(f"  … {clock.now.astimezone(LOCAL):%H:%M:%S} simulated, {run.claims:,} attempts, "
                  f"{time.perf_counter() - began:.0f} s", flush=True)
            while report_at <= clock.now:
                report_at += dt.timedelta(hours=1)
            while report_claims <= run.claims:
                report_claims += max(1, contacts // 10)
        capture = not explained and clock.now >= captured_at
        if capture:
            stmts.captured = []
        wall, cpu = time.perf_counter(), time.process_time()
        k, placed, mark = await tick()
        run.wall += time.perf_counter() - wall
        run.cpu += time.process_time() - cpu
        run.ticks += 1
        entries = timed.log[mark:]
        timed.log.clear()
        for name, took, _ in entries:
            run.by_op.setdefault(name, array("d")).append(took)
        if capture:
            captured, stmts.captured = stmts.captured, None
            if k:  # a round that claimed: its statements' plans (else the next one's)
                explained = True
                with stmts.off():
                    out["plans"] = await explain_plans(db, captured)
        if k:
            round_wall = sum(took for name, took, _ in entries if name != "record_outcome")
            round_cpu = sum(c for name, _, c in entries if name != "record_outcome")
            landed = [(took, c) for name, took, c in entries if name == "record_outcome"]
            for took, c in landed:
                run.per_attempt.append(round_wall / k + took)
                run.per_attempt_cpu.append(round_cpu / k + c)
            run.claims += k
            run.per_round.append(k)
            firsts = sum(1 for a in placed if a.endswith("-1"))
            run.first += firsts
            if burst and firsts < k:  # a retry was claimed: every contact of the pile had its first
                break
            clock.now += TICK
            continue
        run.empty += 1
        if burst and any(name == "claim_due" for name, _, _ in entries):
            clock.now += TICK  # due but nothing claimed (lines or pacing): look again in a second
            continue
        with stmts.off():
            due = await db.read(_next_due)
        if due is None or (burst and due > clock.now):
            break
        later = max(clock.now + TICK, start + TICK * -(-(due - start) // TICK))  # the next whole tick at or after it
        if later >= stop_at:
            break
        run.skipped_seconds += int((later - clock.now) / TICK) - 1
        clock.now = later
    out["rss_peak_mib"] = round(proc_kib("VmHWM") / 1024, 1)
    stmts.on = False
    out["statements"] = dict(stmts.counts.most_common())
    out["server_cpu"] = round(await server.seconds(), 2) if server is not None else None
    out["clock_end"] = clock.now.astimezone(LOCAL).isoformat()
    out["contacts_after"] = await db.read(_contact_states)
    return run


async def explain_plans(db: Database, captured: list[tuple[str, object]]) -> list[dict]:
    """The plans of the statements of one claim round (each text once; PostgreSQL: executed, rolled back)."""
    seen: dict[str, object] = {}
    for statement, params in captured:
        if statement.split()[0].upper() in ("SELECT", "UPDATE", "INSERT", "DELETE") and statement not in seen:
            seen[statement] = params

    def plans(session) -> list[dict]:
        conn = session.connection()
        result = []
        for statement, params in seen.items():
            if db.is_sqlite:
                prefix = "EXPLAIN QUERY PLAN "
            elif statement.split()[0].upper() == "SELECT":
                prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "  # run, in a transaction rolled back
            else:
                prefix = "EXPLAIN (COSTS OFF) "  # a write already done (its row changed): the plan only
            try:
                with conn.begin_nested():
                    rows = conn.exec_driver_sql(prefix + statement, params).all()
            except Exception as exc:  # noqa: BLE001  (shown, not fatal)
                rows = [(f"(not explained: {exc.__class__.__name__}: {str(exc).splitlines()[0][:100]})",)]
            lines = [" ".join(str(c) for c in r[-1:]) if db.is_sqlite else str(r[0]) for r in rows]
            result.append({"sql": " ".join(statement.split()), "plan": lines})
        return result

    return await db.read(plans)  # a read: rolled back afterwards


def summarise(run: Run, out: dict) -> dict:
    ops = {name: spread(v, scale=1000) | {"n": len(v)} for name, v in run.by_op.items()}
    rounds = run.by_op.get("claim_due", array("d"))
    tenth = max(1, len(rounds) // 10)
    ops["claim_due"] = ops.get("claim_due", {}) | {  # does a round cost more as the attempts pile up?
        "first_tenth_p50": spread(rounds[:tenth], scale=1000)["p50"],
        "last_tenth_p50": spread(rounds[-tenth:], scale=1000)["p50"]}
    total = sum(out["statements"].values())
    return out | {
        "claims": run.claims, "contacts_reached": run.first, "ticks": run.ticks, "empty_ticks": run.empty,
        "skipped_seconds": run.skipped_seconds, "wall_s": round(run.wall, 3), "cpu_s": round(run.cpu, 3),
        "claims_per_s_wall": round(run.claims / run.wall, 1) if run.wall else None,
        "claims_per_s_cpu": round(run.claims / run.cpu, 1) if run.cpu else None,
        "per_attempt_ms": spread(run.per_attempt, scale=1000),
        "per_attempt_cpu_ms": spread(run.per_attempt_cpu, scale=1000),
        "claims_per_round": {"mean": round(run.claims / max(1, len(run.per_round)), 2),
                             "max": max(run.per_round, default=0)},
        "ops_ms": ops, "outcomes": dict(run.outcomes),
        "statements_per_attempt": round(total / run.claims, 2) if run.claims else None,
    }


# ---------------------------------------------------------------------------------------------- parts

async def part_claims(backend: Backend, args, kind: str) -> dict:
    """**day** or **burst** (the module's docstring) on a fresh copy of its database."""
    async with backend.copy(kind) as url:
        db = Database(url)
        try:
            lines, pace = ((args.max_concurrent, args.per_minute) if kind == "day"
                           else (args.burst_concurrent, NO_PACING))
            await db.write(_set_campaign, max_concurrent=lines, per_minute=pace)
            out = {"load_start": load(), "max_concurrent": lines,
                   "per_minute": pace if kind == "day" else "no limit"}
            started = time.perf_counter()
            run = await claim_loop(db, CLOSES, start=OPENS, burst=kind == "burst", explain=args.explain,
                                   trace_rounds=args.trace_rounds if kind == "burst" else 0, contacts=backend.n,
                                   out=out)
            out["elapsed_s"] = round(time.perf_counter() - started, 1)
            out["load_end"] = load()
            return summarise(run, out)
        finally:
            await db.close()


async def part_idle(backend: Backend, args) -> dict:
    """The real dialer job on the project's scheduler, every contact due tomorrow: running, then paused;
    before them, the same process with nothing scheduled (what the dialer adds is the difference)."""
    async with backend.copy("day") as url:
        db = Database(url)
        timed = Timed(db)
        server = ServerCpu(db) if not db.is_sqlite else None
        t0, mono0 = IDLE_AT, time.monotonic()

        def clock() -> dt.datetime:  # real time, a day before the contacts are due
            return t0 + dt.timedelta(seconds=time.monotonic() - mono0)

        async def place(request) -> str:
            raise AssertionError(f"nothing is due, yet {request.action_id} was placed")

        dialer = Dialer(timed, place, zone=ZONE, holidays=ChinaHolidays(), clock=clock)
        scheduler = Scheduler()
        scheduler.every("campaign_dialer", DIAL_SECONDS, dialer.tick)  # as cti/app.py's _wire_campaigns
        out: dict = {"load_start": load(), "seconds": args.idle_seconds}

        async def measure(seconds: float, job: str = "campaign_dialer", sched: Scheduler = scheduler) -> dict:
            timed.log.clear()
            if server is not None:
                await server.begin()
            rss_peak_reset()
            runs0 = sched.runs[job]
            ru0, cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.process_time(), time.perf_counter()
            await asyncio.sleep(seconds)
            wall = time.perf_counter() - wall0
            cpu = time.process_time() - cpu0
            ru1 = resource.getrusage(resource.RUSAGE_SELF)
            switches = ru1.ru_nvcsw + ru1.ru_nivcsw - ru0.ru_nvcsw - ru0.ru_nivcsw  # wake-ups: busy polling shows
            server_cpu = await server.seconds() if server is not None else None
            ticks = sched.runs[job] - runs0
            reads = [took for name, took, _ in timed.log if name == "anything_due"]
            return {"seconds": round(wall, 1), "ticks": ticks, "failures": sched.failures[job],
                    "db_calls": len(timed.log), "writes": sum(1 for name, _, _ in timed.log if name != "anything_due"),
                    "cpu_s_per_min": round(cpu / wall * 60, 4),
                    "cpu_ms_per_tick": round(cpu / ticks * 1000, 3) if ticks else None,
                    "context_switches_per_s": round(switches / wall, 1),
                    "anything_due_ms": spread(reads, scale=1000),
                    "server_cpu_s_per_min": round(server_cpu / wall * 60, 4) if server_cpu is not None else None,
                    "rss_peak_mib": round(proc_kib("VmHWM") / 1024, 1)}

        try:
            await db.read(_next_due)  # connections and (SQLite) the worker thread made before measuring
            out["nothing"] = await measure(min(10.0, args.idle_seconds))
            noop = Scheduler()  # the scheduler's own cost: a job that does nothing, every second

            async def nothing() -> None:
                pass

            noop.every("noop", DIAL_SECONDS, nothing)
            await noop.start()
            await asyncio.sleep(DIAL_SECONDS)
            out["noop"] = await measure(min(10.0, args.idle_seconds), "noop", noop)
            await noop.stop()
            await scheduler.start()
            await asyncio.sleep(2 * DIAL_SECONDS)
            for state in ("running", "paused"):
                await db.write(_set_campaign, state=state)
                await asyncio.sleep(DIAL_SECONDS)
                out[state] = await measure(args.idle_seconds)
            out["placed"] = dialer.placed
        finally:
            await scheduler.stop()
            await db.close()
        out["load_end"] = load()
        return out


# --------------------------------------------------------------------------------------------- report

def ms(d: dict) -> str:
    return f"p50 {d['p50']:6.2f}  p99 {d['p99']:6.2f}  max {d['max']:7.2f} ms"


OPS = (("anything_due", "due? (read)"), ("claim_due", "claim round (write)"), ("_plans", "plans (read)"),
       ("dialled", "dialled (write)"), ("record_outcome", "record_outcome"))


def report_claims(backend: str, part: str, r: dict) -> None:
    ops, n = r["ops_ms"], max(1, r["claims"])
    pace = r["per_minute"] if isinstance(r["per_minute"], str) else f"{r['per_minute']:g}/min"
    server = f"; PostgreSQL backends {r['server_cpu']} s CPU" if r["server_cpu"] is not None else ""
    print(f"\n{backend} — {part}: {r['max_concurrent']} lines, pacing {pace}, at most {r['dialer_limit']} claims a "
          f"tick; load {r['load_start']} → {r['load_end']}; {r['elapsed_s']} s")
    print(f"  claimed               {r['claims']:,} attempts of {r['contacts_reached']:,} contacts in {r['ticks']:,} "
          f"ticks ({r['claims_per_round']['mean']} a round, at most {r['claims_per_round']['max']}); "
          f"{r['skipped_seconds']:,} s with nothing due skipped")
    print(f"  outcomes              {r['outcomes']}; contacts after: {r['contacts_after']}")
    print(f"  throughput            {r['claims_per_s_wall'] or 0:,.0f} attempts/s of wall time, "
          f"{r['claims_per_s_cpu'] or 0:,.0f} per CPU second ({r['wall_s']} s wall, {r['cpu_s']} s CPU{server})")
    print(f"  per attempt (wall)    {ms(r['per_attempt_ms'])}   (its share of its round + its record_outcome)")
    print(f"  per attempt (CPU)     {ms(r['per_attempt_cpu_ms'])}")
    for name, label in OPS:
        if name in ops:
            print(f"  {label:21} {ms(ops[name])}   n={ops[name]['n']:,}")
    c = ops.get("claim_due", {})
    if "n" in c:
        print(f"  claim round p50       first tenth of the rounds {c['first_tenth_p50']:.2f} ms, "
              f"last tenth {c['last_tenth_p50']:.2f} ms")
    top = ", ".join(f"{k} {v / n:.2f}" for k, v in list(r["statements"].items())[:8])
    print(f"  SQL per attempt       {r['statements_per_attempt']} statements ({top})")
    mem = f"  memory                peak RSS {r['rss_peak_mib']} MiB (at start {r['rss_start_mib']} MiB)"
    if "tracemalloc_round_kib" in r:
        t = r["tracemalloc_round_kib"]
        mem += (f"; Python allocations' peak in a claim round {t['max']:,} KiB "
                f"(tracemalloc, {t['rounds']} rounds, {t['claims']} claims)")
    print(mem)
    for p in r.get("plans", []):
        print(f"  plan: {p['sql'][:160]}")
        for line in p["plan"]:
            print(f"        {line}")


IDLE = (("nothing", "no job"), ("noop", "a no-op job"), ("running", "running"), ("paused", "paused"))


def report_idle(backend: str, r: dict) -> None:
    print(f"\n{backend} — idle: every contact due tomorrow, the dialer job on the scheduler, "
          f"{r['seconds']:g} s each; load {r['load_start']} → {r['load_end']}")
    for state, label in IDLE:
        s = r[state]
        server = (f" + PostgreSQL backends {s['server_cpu_s_per_min']:.3f}"
                  if s["server_cpu_s_per_min"] is not None else "")
        if not s["ticks"]:
            what = f"nothing scheduled, {s['seconds']} s"
        else:
            what = f"{s['cpu_ms_per_tick']:.2f} ms a tick, {s['ticks']} ticks, {s['writes']} writes"
            if s["db_calls"]:
                what += f"; due? read {ms(s['anything_due_ms'])}"
        print(f"  {label:12} CPU {s['cpu_s_per_min']:.3f}{server} s per minute ({what}; "
              f"{s['context_switches_per_s']} context switches/s; peak RSS {s['rss_peak_mib']} MiB)")


def summary(results: dict) -> None:
    """One table of the main numbers, Markdown (docs/PERFORMANCE.md takes it as it is)."""
    backends = [b for b in ("sqlite", "postgres") if b in results]
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, fn) -> None:
        cells = []
        for b in backends:
            try:
                cells.append(fn(results[b]))
            except (KeyError, TypeError):
                cells.append("–")
        rows.append((label, cells))

    def pair(d: dict, a: str = "p50", b: str = "p99") -> str:
        return f"{d[a]:.2f} / {d[b]:.2f} ms"

    for part in ("day", "burst"):
        row(f"{part}: attempts/s, wall · CPU",
            lambda r, p=part: f"{r[p]['claims_per_s_wall']:,.0f} · {r[p]['claims_per_s_cpu']:,.0f}")
        row(f"{part}: per attempt p50 / p99", lambda r, p=part: pair(r[p]["per_attempt_ms"]))
        row(f"{part}: claim round p50 / p99", lambda r, p=part: pair(r[p]["ops_ms"]["claim_due"]))
        row(f"{part}: claim round p50, first → last tenth", lambda r, p=part: "{first_tenth_p50:.2f} → "
            "{last_tenth_p50:.2f} ms".format(**r[p]["ops_ms"]["claim_due"]))
        row(f"{part}: record_outcome p50 / p99", lambda r, p=part: pair(r[p]["ops_ms"]["record_outcome"]))
        row(f"{part}: SQL statements per attempt", lambda r, p=part: f"{r[p]['statements_per_attempt']}")
    for state, label in IDLE:
        row(f"idle, {label}: CPU s per minute", lambda r, s=state: f"{r['idle'][s]['cpu_s_per_min']:.3f}" + (
            f" + server {r['idle'][s]['server_cpu_s_per_min']:.3f}"
            if r["idle"][s]["server_cpu_s_per_min"] is not None else ""))
    row("idle: a tick's due? read p50 / p99", lambda r: pair(r["idle"]["running"]["anything_due_ms"]))
    row("peak RSS: day / burst / idle", lambda r: " / ".join(
        (f"{(r[p]['running'] if p == 'idle' else r[p])['rss_peak_mib']:.0f}" if p in r else "–")
        for p in ("day", "burst", "idle")) + " MiB")
    row("tracemalloc peak in a claim round", lambda r: f"{r['burst']['tracemalloc_round_kib']['max']:,} KiB")
    row("load average, start → end", lambda r: " ; ".join(
        f"{p} {r[p]['load_start']} → {r[p]['load_end']}" for p in ("day", "burst", "idle") if p in r))
    width = max(len(label) for label, _ in rows)
    print("\n| " + " | ".join([" " * width, *backends]) + " |")
    print("|" + "|".join(["-" * (width + 2)] + ["---"] * len(backends)) + "|")
    for label, cells in rows:
        print(f"| {label:{width}} | " + " | ".join(cells) + " |")


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See docs/PERFORMANCE.md, \"Campaigns\".")
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--contacts", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="5,000 contacts")
    ap.add_argument("--parts", default="day,burst,idle", help="comma list of day, burst, idle")
    ap.add_argument("--max-concurrent", type=int, default=30, help="the day's lines (default 30)")
    ap.add_argument("--per-minute", type=float, default=600, help="the day's pacing (default 600 calls a minute)")
    ap.add_argument("--burst-concurrent", type=int, default=500, help="the burst's lines (default 500)")
    ap.add_argument("--idle-seconds", type=float, default=60, help="each idle measurement (default 60)")
    ap.add_argument("--trace-rounds", type=int, default=3, help="burst rounds under tracemalloc, before the timed ones")
    ap.add_argument("--explain", action="store_true", help="print the plans of one claim round's statements")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--no-cache", action="store_true", help="rebuild the cached databases")
    ap.add_argument("--json", type=Path, help="where the numbers go (default var/bench/campaigns-<time>.json)")
    args = ap.parse_args()
    n = 5_000 if args.quick else args.contacts
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if unknown := set(parts) - {"day", "burst", "idle"}:
        ap.error(f"--parts: unknown {', '.join(sorted(unknown))}")
    backends = []
    if args.db in ("sqlite", "both"):
        backends.append(Backend("sqlite", n))
    server = os.environ.get("CTI_BENCH_PG_URL") or os.environ.get("CTI_TEST_DATABASE_URL")
    if args.db in ("postgres", "both"):
        if server:
            backends.append(Backend("postgres", n, server))
        elif args.db == "postgres":
            ap.error("--db postgres: set CTI_BENCH_PG_URL=postgresql+asyncpg://… (or CTI_TEST_DATABASE_URL)")
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"Hotline CTI campaigns benchmark — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {n:,} contacts; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    if not server and args.db == "both":
        print("postgres  skipped: set CTI_BENCH_PG_URL=postgresql+asyncpg://… (or CTI_TEST_DATABASE_URL)")
    results: dict = {"contacts": n, "started": dt.datetime.now(dt.UTC).isoformat(), "load_start": os.getloadavg(),
                     "args": {k: str(v) for k, v in vars(args).items()}}
    file = args.json or CACHE / f"campaigns-{dt.datetime.now():%Y%m%d-%H%M%S}.json"

    def save() -> None:  # after every part: a long run that stops half-way keeps what it measured
        file.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))

    for backend in backends:
        for kind in ("day", "burst"):
            if args.no_cache:
                await backend.drop_cache(kind)
            await backend.build(kind, args.seed)
        res = results.setdefault(backend.name, {})
        for part in parts:
            if part in ("day", "burst"):
                res[part] = await part_claims(backend, args, part)
                report_claims(backend.name, "a day" if part == "day" else "burst, all due at once", res[part])
            else:
                res["idle"] = await part_idle(backend, args)
                report_idle(backend.name, res["idle"])
            save()
    results["load_end"] = os.getloadavg()
    results["ru_maxrss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    summary(results)
    print(f"\nload average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"the process's peak RSS {results['ru_maxrss_mib']} MiB")
    save()
    print(f"results: {file}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
