"""Benchmark part (c): the real service in its own process, fed by the fake PBX, pops to real consoles.

Steps: a temporary SQLite file is migrated, seeded with the demo data, one
bench agent per console (``agent3000`` … bound to ``PJSIP/3000`` …) and one
supervisor, who reads ``/status`` (its details are for supervisors); the
service is started on it once so every console, and the supervisor, logs in
through the login form (argon2, CSRF); that database, sessions included, is the template every
measured run starts from (a fresh copy each time). A run starts the fake PBX,
the service (``bench/service_proc.py``) and the WebSockets, plays the stream,
then polls ``/status`` until every AMI event was received and every bus
subscriber has handled everything published (the call log is written too).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from consoles import PASSWORD, Consoles, login
from fakepbx import FakePbx
from stream import AGENT_BASE, CACHE, GIVEN, SURNAMES, Stream

HERE = Path(__file__).resolve().parent
WATCHER = "benchwatch"  # the supervisor whose session polls /status


@dataclass
class RunResult:
    mode: str  # "throughput" or "paced-<rate>"
    rate: float | None
    elapsed: float  # first write → last event handled and last console frame received
    write_seconds: float  # first → last write by the fake PBX
    events: int
    calls: int
    latencies: list[float]
    pops_expected: int
    pops_received: int
    unmatched: int
    reconnects: int
    console_messages: int
    writer: dict  # FakePbx.writer_stats(): lag vs the schedule, back-pressure
    stream_units: float  # stream time written, in call arrivals
    service: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def events_per_s(self) -> float:
        return self.events / self.elapsed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def prepare_db(path: Path, consoles: int) -> int:
    """Migrate, seed the demo data, open a ticket for every other customer, add one agent per console
    (one argon2 hash, shared password). Returns how many customers have an open ticket."""
    from argon2 import PasswordHasher

    from cti.customers.demo import generate
    from cti.demo import seed
    from cti.store import Database
    from cti.store.migrate import upgrade
    from sqlalchemy import select

    from cti.customers.models import Customer
    from cti.tickets import queries
    from cti.tickets.clocks import Promises
    from cti.users.models import User

    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    await seed(db, generate())
    await db.write(open_tickets, await db.read(Promises.load, "Asia/Shanghai"))
    with_tickets = await db.read(lambda session: len(queries.open_ids_of_customers(
        session, session.scalars(select(Customer.id)).all())))
    hashed = PasswordHasher().hash(PASSWORD)
    names = random.Random("bench-agents")
    async with db.session() as s:
        for i in range(consoles):
            name = names.choice(SURNAMES) + "".join(names.choices(GIVEN, k=2))
            s.add(User(username=f"agent{AGENT_BASE + i}", display_name=name, password_hash=hashed, role="agent",
                       interface=f"PJSIP/{AGENT_BASE + i}"))
        s.add(User(username=WATCHER, display_name="Bench", password_hash=hashed, role="supervisor"))
        await s.commit()
    await db.close()
    return with_tickets


def open_tickets(session, promises) -> int:
    """An open repair for every other customer without one: their pops carry tickets, and each of their
    calls is linked to it by the service (the linker writes as the call is offered)."""
    from sqlalchemy import select

    from cti.customers.models import Customer
    from cti.tickets import queries, service
    from cti.tickets.service import NewTicket

    now = dt.datetime.now(dt.UTC)
    ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))[::2]
    busy = queries.open_ids_of_customers(session, ids)
    made = 0
    for customer_id in ids:
        if not busy.get(customer_id):
            service.open_ticket(session, NewTicket(customer_id, "repair", "on_site", description="冰箱不制冷"),
                                service.SYSTEM, now=now, promises=promises, local_day=now.date())
            made += 1
    return made


def copy_db(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


class ServiceProcess:
    """``profile``: "" (none), a ``.prof`` path (cProfile, main thread) or a ``.txt`` path (py-spy, raw stacks)."""

    def __init__(self, db: Path, ami_port: int, log: Path, profile: str = "") -> None:
        cprofile = profile if profile.endswith(".prof") else ""
        self.args = {"db": str(db), "ami_port": ami_port, "http_port": free_port(), "profile": cprofile}
        self.base = f"http://127.0.0.1:{self.args['http_port']}"
        self.log = log
        self.spy_out = profile if profile.endswith(".txt") else ""
        self.proc: asyncio.subprocess.Process | None = None
        self.spy: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as err:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, str(HERE / "service_proc.py"), json.dumps(self.args),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err)
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        if not line:
            raise RuntimeError(f"the service did not start; see {self.log}")
        if self.spy_out:
            spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
            if spy is None:
                raise RuntimeError("--profile py-spy: install it first (.venv/bin/pip install py-spy)")
            with self.log.open("ab") as err:
                self.spy = await asyncio.create_subprocess_exec(
                    spy, "record", "--pid", str(self.proc.pid), "--format", "raw", "--threads", "--gil", "--rate", "250",
                    "--output", self.spy_out, stdout=err, stderr=err)
            await asyncio.sleep(1.0)  # py-spy attaches

    async def stop_profiler(self) -> None:
        if self.spy is not None and self.spy.returncode is None:
            self.spy.send_signal(signal.SIGINT)
            await asyncio.wait_for(self.spy.wait(), 60)

    async def stop(self) -> dict:
        assert self.proc is not None and self.proc.stdin is not None
        await self.stop_profiler()
        self.proc.stdin.write(b"stop\n")
        await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), 120)
        await self.proc.wait()
        return json.loads(line) if line else {}


async def login_all(template: Path, consoles: int, log: Path) -> tuple[list[str], str, float]:
    """Start the service on the template database once and log every console and the watcher in.

    Returns the consoles' session cookies, the watcher's, and how long the consoles' logins took.
    """
    pbx = FakePbx(None)  # answers the login and the resync, writes nothing
    service = ServiceProcess(template, await pbx.start(), log)
    await service.start()
    started = time.perf_counter()
    try:
        sem = asyncio.Semaphore(1)  # one at a time: concurrent logins hit "database is locked" (see PERFORMANCE.md)

        async def one(i: int) -> str:
            async with sem:
                return await login(service.base, f"agent{AGENT_BASE + i}")

        tokens = await asyncio.gather(*(one(i) for i in range(consoles)))
        took = time.perf_counter() - started
        watcher = await login(service.base, WATCHER)
    finally:
        await service.stop()
        await pbx.close()
    return list(tokens), watcher, took


async def wait_handled(base: str, watcher: str, expected: int, timeout: float = 600.0) -> tuple[float, dict]:
    """Poll /status (as the supervisor ``watcher``, a session cookie) until the bridge has every event and
    every subscriber everything; returns (when, status)."""
    deadline = time.perf_counter() + timeout
    seen: tuple | None = None
    first_done = 0.0
    async with aiohttp.ClientSession(base, headers={"Cookie": f"cti_session={watcher}"}) as http:
        while time.perf_counter() < deadline:
            at = time.perf_counter()
            async with http.get("/status") as resp:
                body = await resp.json()
            comps = body["components"]
            ami, bus = comps["ami"], comps["bus"]
            subs = bus["subscribers"].values()
            received = ami.get("events_received", 0) + ami.get("events_skipped", 0)  # skipped: noise, RTCP
            done = (received >= expected and ami.get("queue_depth", 1) == 0
                    and all(s["depth"] == 0 and s["handled"] + s["failed"] == bus["published"] for s in subs))
            key = (ami.get("events_received"), bus["published"])
            if done and key == seen:
                return first_done, body
            if done and key != seen:
                first_done = at
            seen = key if done else None
            await asyncio.sleep(0.02)
    raise TimeoutError(f"the service did not handle {expected} events within {timeout:g}s")


async def run_once(stream: Stream, template: Path, tokens: list[str], watcher: str, work: Path, *,
                   rate: float | None, profile: str = "") -> RunResult:
    mode = f"paced-{rate:g}" if rate else "throughput"
    db = work / f"{mode}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    copy_db(template, db)
    pbx = FakePbx(stream)
    service = ServiceProcess(db, await pbx.start(), CACHE / f"service-{mode}.log", profile)
    await service.start()
    consoles = Consoles(tokens, pbx.stamps)
    try:
        await asyncio.wait_for(pbx.ready.wait(), 30)
        await consoles.connect(service.base)
        await asyncio.sleep(0.5)  # let the login bursts settle
        first, last_write = await pbx.play(rate)
        handled_at, _ = await wait_handled(service.base, watcher, stream.events)
        await asyncio.sleep(1.0)  # the last pushes on their way to the consoles
        end = max(handled_at, consoles.last_at)
        await service.stop_profiler()
    finally:
        await consoles.close()
        stats = await service.stop()
        await pbx.close()
    bound = {f"PJSIP/{AGENT_BASE + i}" for i in range(len(tokens))}
    expected = sum(1 for _, _, iface in stream.pops if iface in bound)
    return RunResult(mode, rate, end - first, last_write - first, stream.events, stream.calls, sorted(consoles.latencies),
                     expected, consoles.pops, consoles.unmatched, consoles.reconnects, consoles.messages,
                     pbx.writer_stats(), stream.times[-1] - stream.times[0], stats, consoles.errors[:5])


async def pipeline(stream: Stream, consoles: int, rates: list[float], *, profile: str = "",
                   profile_rate: float | None = None, say=print) -> dict:
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="cti-bench-"))
    try:
        template = work / "template.db"
        with_tickets = await prepare_db(template, consoles)
        say(f"  (c) database ready: {template} (migrated, demo data, {with_tickets} customers with open tickets, "
            f"{consoles} agents)")
        tokens, watcher, took = await login_all(template, consoles, CACHE / "service-login.log")
        say(f"  (c) {consoles} consoles logged in through /login in {took:.1f}s")
        out: dict = {"login_seconds": took}
        if profile:
            name = "service-paced" if profile_rate else "service-throughput"
            prof = str(CACHE / (f"{name}.prof" if profile == "cprofile" else f"{name}.txt"))
            await run_once(stream, template, tokens, watcher, work, rate=profile_rate, profile=prof)
            out["profile"] = prof
            say(f"  (c) profiled run ({profile}) written to {prof}")
        out["throughput"] = await run_once(stream, template, tokens, watcher, work, rate=None)
        say(f"  (c) throughput run done in {out['throughput'].elapsed:.1f}s")
        out["paced"] = []
        for rate in rates:
            run = await run_once(stream, template, tokens, watcher, work, rate=rate)
            out["paced"].append(run)
            say(f"  (c) paced run at {rate:g} calls/s done in {run.elapsed:.1f}s")
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)
