"""The real service in its own process, for the benchmark: ``create_app`` on a SQLite file, AMI to the fake PBX.

Run by ``bench/ingest.py``; not meant to be started by hand. Arguments: one
JSON object (db path, AMI port, HTTP port, profile file or ""). Prints one
JSON line ``{"ready": ...}`` when the console listens, then waits for a line
on standard input; it then stops the service the normal way (bridge, bus
drain, database) and prints one JSON line with its own counters, CPU time and
peak RSS (``resource.getrusage``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import resource
import sys
import time
from collections import Counter


async def main(args: dict) -> dict:
    from aiohttp import web
    from sqlalchemy import func, select

    from cti.app import create_app
    from cti.calls.models import Call
    from cti.config import Settings
    from cti.http import keys

    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{args['db']}",
                        ami_host="127.0.0.1", ami_port=args["ami_port"], http_host="127.0.0.1",
                        http_port=args["http_port"], language="zh")
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args["http_port"]).start()
    service = app[keys.SERVICE]
    statements = count_statements(service.db.engine.sync_engine)
    # Experiment knobs (not used by `make bench`): drop subscribers to see what each costs;
    # override the call log's batch_wait to compare with one transaction per event (0).
    for name in filter(None, os.environ.get("CTI_BENCH_UNSUBSCRIBE", "").split(",")):
        drop_subscriber(service.bus, name)
    if os.environ.get("CTI_BENCH_GC_UNFREEZE"):  # compare with the collector walking the whole heap
        import gc

        gc.unfreeze()
    if os.environ.get("CTI_BENCH_BATCH_WAIT"):
        for sub in service.bus._subscribers:
            if sub.name == "calls":
                sub.batch_wait = float(os.environ["CTI_BENCH_BATCH_WAIT"])
    rss_start = proc_status("VmRSS")
    print(json.dumps({"ready": True}), flush=True)
    profiler = None
    if args.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu0 = time.process_time()
    writer_pid = service.writers.pid if service.writers is not None else None  # CTI_WRITER_PROCESS=true
    writer_cpu0 = process_cpu(writer_pid)
    ami_pid = getattr(service.bridge, "pid", None)  # CTI_AMI_PROCESS=true
    ami_cpu0 = process_cpu(ami_pid)
    pauses = watch_gc()
    samples: list[list] = []
    sampler = asyncio.create_task(sample_queues(service, samples))
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    cpu = time.process_time() - cpu0
    writer_cpu = process_cpu(writer_pid) - writer_cpu0
    ami_cpu = process_cpu(ami_pid) - ami_cpu0
    sampler.cancel()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args["profile"])
    bridge = service.bridge
    rss_before = proc_status("VmRSS")
    stats = {
        "ami": bridge.status() if bridge else {},
        "bus": service.bus.stats(),
        "published": service.bus.published,
        "tracker": ((bridge.status() if bridge else {}).get("tracker", {}) if ami_pid else
                    {"ignored": service.tracker.ignored, "evicted": service.tracker.evicted,
                     "calls_held": len(service.tracker), "legs_held": service.tracker.legs_held}),
        "hub_sent": service.hub.sent,
        "pops": service.pops.pops if service.pops else 0,
        "cpu_seconds_run": round(cpu, 2),  # this process only
        "writer_cpu_seconds_run": round(writer_cpu, 2) if writer_pid else None,  # the writer process's
        "ami_cpu_seconds_run": round(ami_cpu, 2) if ami_pid else None,  # the AMI process's
        "rss_at_start_mib": round(rss_start / 1024, 1),  # after imports and startup, before any traffic
        "rss_at_end_mib": round(rss_before / 1024, 1),  # after the run, before shutdown
        "sql": dict(statements.most_common()),
        "gc": {f"gen{g}": {"count": len(v), "total_ms": round(sum(v) * 1000, 1),
                           "max_ms": round(max(v, default=0) * 1000, 1)} for g, v in pauses.items()},
        "queues": samples,  # [t, AMI queue, bus depth per subscriber…] every 0.25 s while busy
    }
    await runner.cleanup()
    db = service.db
    async with db.session() as s:
        stats["call_rows"] = await s.scalar(select(func.count()).select_from(Call))
    await db.close()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    stats["max_rss_mib"] = round(peak_rss_kib(ru) / 1024, 1)
    stats["cpu_seconds_total"] = round(ru.ru_utime + ru.ru_stime, 2)
    return stats


def watch_gc() -> dict[int, list[float]]:
    """The duration of every garbage collection, per generation (a full one stops the event loop)."""
    import gc

    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started = [0.0]

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - started[0])

    gc.callbacks.append(callback)
    return pauses


async def sample_queues(service, out: list[list]) -> None:
    """Every 0.25 s: how many items wait in the bridge's queue and in each bus subscriber's queue."""
    t0 = time.perf_counter()
    while True:
        await asyncio.sleep(0.25)
        bridge = service.bridge.status() if service.bridge else {}
        depths = [s["depth"] for s in service.bus.stats().values()]
        if bridge.get("queue_depth") or any(depths):
            out.append([round(time.perf_counter() - t0, 2), bridge.get("queue_depth"), *depths])


def count_statements(engine) -> Counter[str]:
    """SQL statements run, by verb and table (``SELECT calls``, ``INSERT call_agent_legs``, ...)."""
    from sqlalchemy import event

    counts: Counter[str] = Counter()
    table = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", re.I)

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany) -> None:
        m = table.search(statement)
        counts[f"{statement.split(None, 1)[0].upper()} {m.group(1) if m else ''}".strip()] += 1

    return counts


def drop_subscriber(bus, name: str) -> None:
    for sub in bus._subscribers:
        if sub.name == name and sub.task is not None:
            sub.task.cancel()
    bus._subscribers = [s for s in bus._subscribers if s.name != name]


def process_cpu(pid: int | None) -> float:
    """User + system CPU seconds of another process (``/proc/<pid>/stat``); 0 when unknown."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def proc_status(key: str) -> int:
    """A ``/proc/self/status`` value in KiB (0 when unavailable)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_kib(ru: resource.struct_rusage) -> int:
    """This process's peak RSS. Linux's ``ru_maxrss`` keeps the forking parent's peak across exec,
    so prefer ``VmHWM`` (the high-water mark of this process's own memory) when /proc has it."""
    return proc_status("VmHWM") or ru.ru_maxrss


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    result = asyncio.run(main(json.loads(sys.argv[1])))
    print(json.dumps(result), flush=True)
