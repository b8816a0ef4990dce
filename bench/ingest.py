"""Ingest benchmark: a busy-hour AMI byte stream through panoramisk, through our framing + tracker, and
through the whole service. See docs/PERFORMANCE.md for what is measured and the numbers.

    .venv/bin/python bench/ingest.py                 # 1,000,000 events (make bench)
    .venv/bin/python bench/ingest.py --quick         # 100,000 events
    .venv/bin/python bench/ingest.py --events 300000 --rate 200,100,50 --profile py-spy

(a) panoramisk 1.4's own parser: ``AMIProtocol.data_received`` (UTF-8, as
    ``Manager`` sets it) fed the stream in reads of 4-64 KiB, events dispatched
    to a no-op ``factory.dispatch``: the reference.
(b) ``AmiFramer.feed`` + ``CallTracker.feed`` on the same reads, with the
    framer's skip rules as the service runs it, and again without them (every
    frame decoded) to show what the skipping buys.
(c) the service (``cti.app.create_app``: bridge, tracker, bus, call log on
    SQLite, pops, ``/ws``) in its own process, fed over TCP by a fake PBX, pops
    pushed to real logged-in WebSocket consoles: once as fast as it reads
    (events/s), once paced at ``--rate`` calls/s (pop latency: the ring's
    scheduled time in the paced stream → console frame received; the fake
    PBX's lag behind the schedule and the TCP back-pressure are reported beside it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import itertools
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
import types
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import RunResult, pipeline  # noqa: E402
from stats import pct  # noqa: E402
from stream import BANNER, CACHE, Stream, load_or_generate  # noqa: E402

TARGET_B, TARGET_C, TARGET_P99_MS = 2.0, 1.0, 25.0


def chunked(data: bytes, seed: int) -> list[bytes]:
    """The stream cut as a socket would read it: 4-64 KiB per read, anywhere in a frame (seeded)."""
    rnd, out, pos = random.Random(f"reads-{seed}"), [], 0
    while pos < len(data):
        n = rnd.randint(4096, 65536)
        out.append(data[pos : pos + n])
        pos += n
    return out


def run_panoramisk(chunks: list[bytes]) -> tuple[float, float, int]:
    from panoramisk.ami_protocol import AMIProtocol

    class Transport:
        def write(self, data: bytes) -> None:
            pass

        def close(self) -> None:
            pass

    proto = AMIProtocol()
    proto.connection_made(Transport())
    proto.encoding = "utf8"  # what panoramisk.Manager sets (its default config)
    counter = itertools.count()
    proto.factory = types.SimpleNamespace(dispatch=lambda message: next(counter))
    started, cpu = time.perf_counter(), time.process_time()
    for chunk in chunks:
        proto.data_received(chunk)
    return time.perf_counter() - started, time.process_time() - cpu, next(counter)


def run_ours(chunks: list[bytes], skip: bool = True) -> tuple[float, float, int, dict]:
    """(b): with ``skip`` the framer skips what the service's does; without, it decodes every frame."""
    from cti.ami.framing import AmiFramer
    from cti.ami.tracker import CallTracker

    tracker = CallTracker()
    # the skip set the service's AmiProtocol gets from the bridge (cti.ami.bridge): what runs
    framer = AmiFramer(skip_events=tracker.ignored_events, skip_unless=tracker.skip_unless) if skip else AmiFramer()
    messages = domain = 0
    started, cpu = time.perf_counter(), time.process_time()
    for chunk in chunks:
        now = time.time()
        for msg in framer.feed(chunk):
            messages += 1
            domain += len(tracker.feed(msg, now))
    took = time.perf_counter() - started
    return took, time.process_time() - cpu, messages, {"domain_events": domain, "ignored": tracker.ignored, "evicted": tracker.evicted,
                            "calls_held": len(tracker), "malformed": framer.malformed, "skipped": framer.skipped}


def interleaved(chunks: list[bytes], times: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(a), (b) and (b) without skipping in turns, after one warm-up of each, so that all see the same machine."""
    warm = chunks[: max(1, len(chunks) // 10)]
    run_panoramisk(warm)
    run_ours(warm)
    run_ours(warm, skip=False)
    a_runs, b_runs, all_runs = [], [], []
    for _ in range(times):
        gc.collect()
        a_runs.append(run_panoramisk(chunks))
        gc.collect()
        b_runs.append(run_ours(chunks))
        gc.collect()
        all_runs.append(run_ours(chunks, skip=False))
    return a_runs, b_runs, all_runs


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        memory = f"{int(mem) / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        memory = "?"
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("panoramisk", "aiohttp", "SQLAlchemy", "aiosqlite"))
    return {"cpu": f"{cpu} ({os.cpu_count()} cores)", "memory": memory, "os": platform.platform(),
            "python": platform.python_version(), "packages": versions}


def load() -> str:
    """The 1-minute load average, with a warning when other work shares the machine."""
    one = os.getloadavg()[0]
    busy = one > 1.5
    return f"load {one:.1f}{' — OTHER WORK IS RUNNING: numbers are not reliable' if busy else ''}"


def describe(stream: Stream, cached: bool) -> list[str]:
    noise = sum(stream.mix.get(e, 0) for e in ("VarSet", "Newexten", "RTCPSent", "RTCPReceived", "Cdr",
                                               "DeviceStateChange", "NewConnectedLine", "DialState"))
    top = ", ".join(f"{k} {v / stream.events:.1%}" for k, v in list(stream.mix.items())[:8])
    scenarios = ", ".join(f"{k.removeprefix('sip_')} {v}" for k, v in stream.scenarios.items())
    return [
        f"stream: {stream.events:,} events, {len(stream.data) / 2**20:,.1f} MiB, {stream.calls:,} calls "
        f"({scenarios})",
        f"        {len(stream.pops):,} rings, {stream.agents} agents, ~{stream.concurrency} calls in progress, "
        f"seed {stream.seed}; {'from cache' if cached else f'generated in {stream.generated_in:.1f}s'}",
        f"        mix: {top}; noise (VarSet/Newexten/RTCP/Cdr/DeviceStateChange/...) {noise / stream.events:.0%}",
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000, help="events in the stream (default 1,000,000)")
    ap.add_argument("--quick", action="store_true", help="100,000 events: a fast check")
    ap.add_argument("--consoles", type=int, default=200, help="logged-in WebSocket consoles = agents (default 200)")
    ap.add_argument("--rate", default="200", help="calls/s of the paced run (default 200); a list such as "
                    "200,100,50 adds a paced run per rate (the first one is the target's)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of (a), (b) and (b) without skipping, in turns; medians are reported (default 3)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--no-cache", action="store_true", help="regenerate the stream even if var/bench/ has it")
    ap.add_argument("--skip-service", action="store_true", help="only (a) and (b)")
    ap.add_argument("--profile", choices=("py-spy", "cprofile"), default="",
                    help="also run (c) once under a profiler, before the measured runs (var/bench/service-throughput.*)")
    ap.add_argument("--profile-paced", action="store_true",
                    help="profile a run paced at the first --rate instead (var/bench/service-paced.*): where the "
                         "time goes at the pop-latency target's load")
    ap.add_argument("--json", type=Path, help="also write the results here (default var/bench/ingest-<time>.json)")
    args = ap.parse_args(argv)
    events = 100_000 if args.quick else args.events
    started = dt.datetime.now().astimezone()

    print(f"Hotline CTI ingest benchmark — {started:%Y-%m-%d %H:%M %Z}")
    info = machine()
    for k, v in info.items():
        print(f"{k:>9}: {v}")
    stream, cached = load_or_generate(events, seed=args.seed, agents=args.consoles, concurrency=args.consoles,
                                      cache=not args.no_cache)
    for line in describe(stream, cached):
        print(line)

    chunks = chunked(BANNER + stream.data, args.seed)
    print(f"reads:  {len(chunks):,} of 4-64 KiB (mean {len(stream.data) / len(chunks) / 1024:.1f} KiB); {load()}")
    result: dict = {"date": started.isoformat(timespec="seconds"), "machine": info, "events": stream.events,
                    "bytes": len(stream.data), "calls": stream.calls, "rings": len(stream.pops), "argv": sys.argv[1:]}
    a = report_parsers(stream.events, *interleaved(chunks, args.repeat), result)
    del chunks
    gc.collect()

    if not args.skip_service:
        print(f"(c) the service: SQLite, {args.consoles} consoles on /ws, fake PBX over TCP …; {load()}")
        rates = [float(r) for r in str(args.rate).split(",") if r.strip()]
        c = asyncio.run(pipeline(stream, args.consoles, rates, profile=args.profile,
                                 profile_rate=rates[0] if args.profile_paced else None,
                                 say=lambda m: print(m, flush=True)))
        report_service(c["throughput"], c["paced"], a, result)
        if "profile" in c:
            print(f"    profile of an extra {'paced' if args.profile_paced else 'throughput'} run: {c['profile']}")
            if str(c["profile"]).endswith(".txt"):
                from profiling import summary

                for line in summary(Path(str(c["profile"]))):
                    print(f"    {line}")
    print(f"end: {load()}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this bench process (holds the stream and the reads): {rss:,.0f} MiB")
    result["bench_max_rss_mib"] = rss
    out = args.json or CACHE / f"ingest-{started:%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"results: {out}")
    return 0


def report_parsers(events: int, a_runs: list[tuple], b_runs: list[tuple], all_runs: list[tuple],
                   result: dict) -> float:
    """Print (a), (b) and (b) without skipping; record them in ``result``; return (a)'s events/s.

    Single-threaded work: rates per second of this process's CPU time, which other work on the
    machine barely changes; the wall-clock rates are shown beside them.
    """
    def rates(runs: list[tuple], i: int) -> list[float]:
        return [events / r[i] for r in runs]

    def runs_text(runs: list[tuple]) -> str:
        return (f"CPU-time runs: {', '.join(f'{x:,.0f}' for x in rates(runs, 1))}; "
                f"wall: {', '.join(f'{x:,.0f}' for x in rates(runs, 0))}")

    a, b, every = (statistics.median(rates(runs, 1)) for runs in (a_runs, b_runs, all_runs))
    ratio = statistics.median(rb / ra for ra, rb in zip(rates(a_runs, 1), rates(b_runs, 1)))
    ratio_all = statistics.median(rb / ra for ra, rb in zip(rates(a_runs, 1), rates(all_runs, 1)))
    kept, decoded = b_runs[0][3], all_runs[0][3]
    print(f"(a) panoramisk AMIProtocol.data_received   {a:>10,.0f} events/s   "
          f"[{runs_text(a_runs)}; {a_runs[0][2]:,} dispatched]")
    print(f"(b) AmiFramer.feed + CallTracker.feed      {b:>10,.0f} events/s   {ratio:5.2f}× (a)  "
          f"target ≥ {TARGET_B:g}× {'MET' if ratio >= TARGET_B else 'MISSED'}   [{runs_text(b_runs)}; "
          f"{b_runs[0][2]:,} messages, {kept['skipped']:,} skipped unparsed, {kept['domain_events']:,} domain "
          f"events, ignored {kept['ignored']}, evicted {kept['evicted']}]")
    print(f"(b) the same, every frame decoded          {every:>10,.0f} events/s   {ratio_all:5.2f}× (a)  "
          f"(no skip rules: skipping makes (b) {b / every:.2f}× faster)   [{runs_text(all_runs)}; "
          f"{all_runs[0][2]:,} messages, {decoded['domain_events']:,} domain events]")
    result.update({"a_events_per_s": a, "a_runs_cpu": rates(a_runs, 1), "a_runs_wall": rates(a_runs, 0),
                   "b_events_per_s": b, "b_runs_cpu": rates(b_runs, 1), "b_runs_wall": rates(b_runs, 0),
                   "b_ratio": ratio, "b_tracker": kept,
                   "b_no_skip_events_per_s": every, "b_no_skip_runs_cpu": rates(all_runs, 1),
                   "b_no_skip_runs_wall": rates(all_runs, 0), "b_no_skip_ratio": ratio_all,
                   "b_no_skip_tracker": decoded})
    return a


def writer_cpu(service: dict, elapsed: float) -> str:
    """The worker processes' shares, when the service ran with them (CTI_WRITER_PROCESS, CTI_AMI_PROCESS)."""
    out = ""
    for key, name in (("ami_cpu_seconds_run", "AMI process"), ("writer_cpu_seconds_run", "writer process")):
        seconds = service.get(key)
        if seconds is not None and elapsed:
            out += f" + {name} {seconds / elapsed:.0%}"
    return out


def report_service(tp: RunResult, paced: list[RunResult], a: float, result: dict) -> None:
    c = tp.events_per_s
    s = tp.service
    cpu = s.get("cpu_seconds_run", 0.0)
    print(f"(c) full service, as fast as it reads      {c:>10,.0f} events/s   {c / a:5.2f}× (a)  "
          f"target ≥ {TARGET_C:g}× {'MET' if c / a >= TARGET_C else 'MISSED'}")
    print(f"    {tp.elapsed:.1f}s for {tp.events:,} events = {tp.calls / tp.elapsed:,.0f} calls/s; service CPU "
          f"{cpu:.1f}s ({cpu / tp.elapsed:.0%} of one core){writer_cpu(s, tp.elapsed)}; {s.get('call_rows', 0):,} call-log rows; "
          f"pops {tp.pops_received:,}/{tp.pops_expected:,}; ws reconnects {tp.reconnects}")
    print(f"    {back_pressure(tp.writer)}")
    print(f"    service memory: peak RSS {s.get('max_rss_mib', '?')} MiB (getrusage/VmHWM; the import of "
          f"phonenumbers' geocoder+carrier data peaks there), RSS {s.get('rss_at_start_mib', '?')} MiB before the "
          f"stream, {s.get('rss_at_end_mib', '?')} MiB after it")
    result.update({"c_events_per_s": c, "c_ratio": c / a, "c_seconds": tp.elapsed, "c_service": tp.service,
                   "c_pops": [tp.pops_received, tp.pops_expected], "c_reconnects": tp.reconnects,
                   "c_writer": tp.writer, "paced": []})
    for i, run in enumerate(paced):
        lat = [x * 1000 for x in run.latencies]
        p50, p99, worst = pct(lat, 50), pct(lat, 99), (lat[-1] if lat else float("nan"))
        achieved = run.stream_units / run.write_seconds if run.write_seconds else 0.0  # call arrivals/s
        ps = run.service
        verdict = f"target p99 ≤ {TARGET_P99_MS:g} ms {'MET' if p99 <= TARGET_P99_MS else 'MISSED'}" if i == 0 else ""
        lag = run.writer["lag_ms"]
        print(f"(c) paced at {run.rate:g} calls/s: pop latency p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {worst:.1f} ms  "
              f"{verdict}  (from each ring's scheduled time)")
        print(f"    {len(lat):,} pops timed of {run.pops_expected:,} rings to a console (unmatched {run.unmatched}, "
              f"ws reconnects {run.reconnects}); achieved {achieved:,.0f} calls/s; service CPU "
              f"{ps.get('cpu_seconds_run', 0) / run.elapsed:.0%} of one core{writer_cpu(ps, run.elapsed)}; "
              f"peak RSS {ps.get('max_rss_mib', '?')} MiB")
        print(f"    fake PBX lag behind the schedule, per write(): p50 {lag['p50']:.1f} ms  p99 {lag['p99']:.1f} ms  "
              f"max {lag['max']:.1f} ms ({run.writer['writes']:,} writes)")
        print(f"    {back_pressure(run.writer)}")
        result["paced"].append({"rate": run.rate, "achieved": achieved, "pop_ms": {"p50": p50, "p99": p99, "max": worst},
                                "pops": [len(lat), run.pops_expected], "reconnects": run.reconnects,
                                "writer": run.writer, "service": ps})
    for run in (tp, *paced):
        sv = run.service
        tracker, ami = sv.get("tracker", {}), sv.get("ami", {})
        problems = [f"{k}={v}" for k, v in (("tracker ignored", tracker.get("ignored")),
                                            ("evicted", tracker.get("evicted")),
                                            ("handler errors", ami.get("handler_errors")),
                                            ("malformed", ami.get("malformed_frames")),
                                            ("reconnects", ami.get("reconnects"))) if v]
        failed = {n: x["failed"] for n, x in sv.get("bus", {}).items() if x.get("failed")}
        if problems or failed or run.errors or run.pops_received < run.pops_expected:
            print(f"    ! {run.mode}: {' '.join(problems)} bus failed {failed} console errors {run.errors} "
                  f"pops {run.pops_received}/{run.pops_expected}")


def back_pressure(writer: dict) -> str:
    """One line: time blocked in drain() and the bytes the fake PBX's transport held after its writes."""
    held = writer["buffered_bytes"]
    return (f"TCP back-pressure: {writer['drain_wait_s']:.2f} s blocked in drain() ({writer['drains_blocked']:,} of "
            f"{writer['drains']:,} drains blocked); bytes buffered after a write() p50 {held['p50']:,.0f}  "
            f"p99 {held['p99']:,.0f}  max {held['max']:,.0f}")


if __name__ == "__main__":
    sys.exit(main())
