"""The wallboard under load (issue 9): 1,000 agents in 50 queues, 200 calls a second — how long a queue
event takes to reach a supervisor's screen, with the pushes coalesced. It prints numbers and writes them
to ``var/bench/wallboard-<time>.json``; no test asserts them.

    .venv/bin/python bench/wallboard.py                          # 1,000 agents, 50 queues, 200 calls/s, 60 s
    .venv/bin/python bench/wallboard.py --rate 50 --seconds 20   # a quicker look
    .venv/bin/python bench/wallboard.py --db postgres            # on CTI_BENCH_PG_URL / CTI_TEST_DATABASE_URL

The whole service runs (``cti.app.create_app``: the call log, the pops, the linker, the campaigns' and
tickets' subscribers, the wallboard) on a fresh migrated database and serves HTTP on 127.0.0.1; only the
PBX is left out: the tracker's domain events are published on the service's bus as the AMI bridge
publishes them (one batch every 10 ms). Each call is ``CallOffered`` + ``CallQueued``, one second later
``AgentRinging`` + ``CallAnswered`` on a free agent, three seconds after that ``CallEnded`` — five events,
1,000 a second at 200 calls/s, about 800 calls in progress. The agents join their queues first
(``AgentStateChanged``, each in one or two of the 50 queues).

Supervisors (``--screens``, 3) log in through the login form and watch ``/wallboard/ws`` as the page does.
**Latency**: every 50 ms a probe — an ``AgentStateChanged`` of one more agent, its member name carrying a
sequence number — is published with the load; a screen's sample is the time from the publish to the
arrival of the first update showing that probe (or a later one: coalescing keeps only the newest). The
clients run in the service's process and event loop (what they cost is counted in with the service);
a browser on another machine would add the network.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from consoles import PASSWORD, login  # noqa: E402
from stats import spread  # noqa: E402

from cti.events import (  # noqa: E402
    AgentLeg, AgentRinging, AgentStateChanged, CallAnswered, CallEnded, CallOffered, CallQueued, Direction,
    Disposition, RingOutcome,
)

PROBE = "PJSIP/probe"
PROBE_EVERY = 0.05
TICK = 0.01  # the bridge publishes a batch about this often under load


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--agents", type=int, default=1000)
    p.add_argument("--queues", type=int, default=50)
    p.add_argument("--rate", type=float, default=200.0, help="calls a second")
    p.add_argument("--seconds", type=float, default=60.0, help="measured seconds (after 10 s of warm-up)")
    p.add_argument("--warmup", type=float, default=10.0)
    p.add_argument("--screens", type=int, default=3)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    return p.parse_args(argv)


class Load:
    """The calls: offered and queued now, answered a second later by a free agent, over three seconds after."""

    def __init__(self, agents: list[str], queues: list[str], rate: float) -> None:
        self.free = list(agents)
        self.queues = queues
        self.rate = rate
        self.due = 0.0
        self.n = 0
        self.waiting: list[tuple[float, str, str]] = []  # (answer at, call id, queue)
        self.talking: list[tuple[float, str, str, str, float]] = []  # (end at, call, queue, agent, offered)
        self.events = 0

    def step(self, now: float, dt_: float) -> list:
        out: list = []
        self.due += self.rate * dt_
        while self.due >= 1:
            self.due -= 1
            self.n += 1
            call, queue = f"bench.{self.n}", self.queues[self.n % len(self.queues)]
            num = f"+86138{self.n % 100_000_000:08d}"
            out += [CallOffered(call, now, Direction.INBOUND, num, "", "4008001234", f"PJSIP/carrier-{self.n:08x}"),
                    CallQueued(call, now, queue, 1, num, "")]
            self.waiting.append((now + 1.0, call, queue))
        while self.waiting and self.waiting[0][0] <= now and self.free:
            _, call, queue = self.waiting.pop(0)
            agent = self.free.pop()
            out += [AgentRinging(call, now, agent, agent, f"{agent}-1", queue, "", ""),
                    CallAnswered(call, now, agent, agent, queue, 1, 0)]
            self.talking.append((now + 3.0, call, queue, agent, now - 1.0))
        while self.talking and self.talking[0][0] <= now:
            _, call, queue, agent, offered = self.talking.pop(0)
            leg = AgentLeg(agent, agent, offered + 1.0, RingOutcome.ANSWERED, 0.0)
            out.append(CallEnded(call, now, Disposition.ANSWERED, Direction.INBOUND, "", "", "4008001234", queue,
                                 offered, offered + 1.0, 1, 3, agent, agent, (leg,), 16))
            self.free.insert(0, agent)
        self.events += len(out)
        return out


class Screens:
    """Supervisors' wallboards: each merges what it receives and records when each probe first shows."""

    def __init__(self) -> None:
        self.sent: dict[int, float] = {}  # probe sequence -> perf_counter at publish
        self.samples: list[float] = []
        self.messages = 0
        self.bytes = 0
        self.measuring = False
        self._seen: list[int] = []

    async def watch(self, base: str, token: str) -> None:
        jar = aiohttp.DummyCookieJar()
        async with aiohttp.ClientSession(base, cookie_jar=jar) as http:
            async with http.ws_connect("/wallboard/ws", headers={"Origin": base, "Cookie": f"cti_session={token}"},
                                       max_msg_size=0) as ws:
                last = -1
                async for msg in ws:
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        break
                    arrived = time.perf_counter()
                    self.messages += self.measuring
                    self.bytes += len(msg.data) if self.measuring else 0
                    agent = (json.loads(msg.data).get("data", {}).get("agents") or {}).get(PROBE)
                    if not agent:
                        continue
                    seq = int(agent["name"].rsplit("-", 1)[1])
                    for s in range(last + 1, seq + 1):  # this probe, and any coalesced into it
                        if s in self.sent and self.measuring:
                            self.samples.append(arrived - self.sent[s])
                    last = max(last, seq)


async def main(args: argparse.Namespace) -> dict:
    from aiohttp import web

    from cti.app import create_app
    from cti.config import Settings
    from cti.http import keys
    from cti.store import Database
    from cti.store.migrate import upgrade
    from cti.users import service as users

    with tempfile.TemporaryDirectory() as tmp:
        url = await _database(args, tmp)
        db = Database(url)
        await upgrade(db)
        async with db.session() as s:
            await users.create(s, username="sup", password=PASSWORD, role="supervisor", interface=None,
                               display_name="Bench")
        settings = Settings(_env_file=None, database_url=url, ami_host="127.0.0.1", ami_port=9, http_host="127.0.0.1",
                            campaign_dialer=False)
        app = create_app(settings, db=db)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # noqa: SLF001
        service = app[keys.SERVICE]
        try:
            return await _run(args, base, service)
        finally:
            await runner.cleanup()
            await db.close()


async def _database(args: argparse.Namespace, tmp: str) -> str:
    if args.db == "sqlite":
        return f"sqlite+aiosqlite:///{tmp}/wallboard.db"
    base = os.environ.get("CTI_BENCH_PG_URL") or os.environ.get("CTI_TEST_DATABASE_URL")
    if not base:
        raise SystemExit("--db postgres needs CTI_BENCH_PG_URL or CTI_TEST_DATABASE_URL")
    import asyncpg

    name = f"cti_bench_wallboard_{os.getpid()}"
    dsn = base.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return base.rsplit("/", 1)[0] + "/" + name


async def _run(args: argparse.Namespace, base: str, service) -> dict:
    queues = [f"q{i:02d}" for i in range(args.queues)]
    agents = [f"PJSIP/{2000 + i}" for i in range(args.agents)]
    now = time.time()
    members = [AgentStateChanged(now, queues[i % len(queues)], a, f"Agent {i}", 1, False, "", False, "dynamic")
               for i, a in enumerate(agents)]
    members += [AgentStateChanged(now, queues[(i + 1) % len(queues)], a, f"Agent {i}", 1, False, "", False, "dynamic")
                for i, a in enumerate(agents) if i % 2]
    await service.bus.publish_many(members)
    await service.bus.drain()

    screens = Screens()
    token = await login(base, "sup")
    watchers = [asyncio.create_task(screens.watch(base, token)) for _ in range(args.screens)]
    load = Load(agents, queues, args.rate)
    cpu0, wall0, started = time.process_time(), time.perf_counter(), time.perf_counter()
    probe, last_probe, depth = 0, 0.0, 0
    measured_from = started + args.warmup
    events_at_start = 0
    previous = time.perf_counter()
    while True:
        t = time.perf_counter()
        elapsed, previous = t - previous, t
        if t - started >= args.warmup + args.seconds:
            break
        if not screens.measuring and t >= measured_from:
            screens.measuring, events_at_start = True, load.events
            cpu0, wall0 = time.process_time(), t
        batch = load.step(time.time(), elapsed)  # the calls of the time that really passed
        if t - last_probe >= PROBE_EVERY:
            last_probe = t
            probe += 1
            batch.append(AgentStateChanged(time.time(), queues[0], PROBE, f"probe-{probe}", 1, False, "", False))
            screens.sent[probe] = time.perf_counter()
        await service.bus.publish_many(batch)
        depth = max(depth, max((s["depth"] for s in service.bus.stats().values()), default=0))
        await asyncio.sleep(max(0.0, TICK - (time.perf_counter() - t)))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    await asyncio.sleep(1.0)  # the last probes arrive
    for w in watchers:
        w.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "agents": args.agents, "queues": args.queues, "calls_per_second": args.rate, "screens": args.screens,
        "db": args.db, "seconds": round(wall, 1),
        "events_per_second": round((load.events - events_at_start) / wall, 1),
        "latency_ms": spread(screens.samples, scale=1000), "samples": len(screens.samples),
        "updates_per_second_per_screen": round(screens.messages / args.screens / wall, 2),
        "kbytes_per_second_per_screen": round(screens.bytes / args.screens / wall / 1024, 1),
        "cpu_share": round(cpu / wall, 2), "bus_depth_max": depth,
        "max_rss_mib": round(ru.ru_maxrss / 1024, 1), "flushes": service.board.flushes,
        "calls_in_progress_end": len(service.board.floor.calls),
    }
    return result


def report(result: dict) -> None:
    lat = result["latency_ms"]
    print(f"wallboard: {result['agents']} agents, {result['queues']} queues, {result['calls_per_second']:g} calls/s "
          f"({result['events_per_second']:g} events/s) for {result['seconds']} s on {result['db']}, "
          f"{result['screens']} screens")
    print(f"  event → screen: p50 {lat['p50']:.0f} ms, p99 {lat['p99']:.0f} ms, max {lat['max']:.0f} ms "
          f"({result['samples']} samples; target p99 ≤ 250 ms)")
    print(f"  per screen: {result['updates_per_second_per_screen']} updates/s, "
          f"{result['kbytes_per_second_per_screen']} KiB/s; CPU {result['cpu_share']:.0%} of a core; "
          f"bus depth max {result['bus_depth_max']}; RSS {result['max_rss_mib']} MiB")


if __name__ == "__main__":
    args = parse_args()
    outcome = asyncio.run(main(args))
    report(outcome)
    out = Path("var/bench")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"wallboard-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(outcome, indent=2))
    print(f"  written to {path}")
    with contextlib.suppress(Exception):
        sys.stdout.flush()
