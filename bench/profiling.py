"""Where the service's time goes: py-spy (sampling, all threads) or cProfile over one throughput run.

``py-spy record --format raw --threads`` writes collapsed stacks
(``thread;frame;frame… count``). :func:`summary` turns them into the share
of samples per thread, the hottest leaf functions (self time) and the
inclusive share of the service's own functions and of the libraries below them.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:)]+)(?::\d+)?\)$")


def _name(frame: str) -> str:
    m = _FRAME.match(frame)
    if not m:
        return frame
    file = m.group("file")
    for marker in ("site-packages/", "python3.11/", "/work/main/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{file}:{m.group('func')}"


def _bucket(frame: str) -> str | None:
    """The library or service area a frame belongs to (inclusive accounting)."""
    name = _name(frame)
    for prefix, bucket in (("cti/ami/framing", "cti framing"), ("cti/ami/tracker", "cti tracker"),
                           ("cti/ami/protocol", "cti AMI protocol"), ("cti/ami/bridge", "cti bridge"),
                           ("cti/calls/recorder", "cti call log (recorder)"), ("cti/customers/pop", "cti pops"),
                           ("cti/http/push", "cti /ws push"), ("cti/bus", "cti bus"),
                           ("sqlalchemy/", "SQLAlchemy"), ("aiosqlite/", "aiosqlite"), ("sqlite3", "sqlite3"),
                           ("aiohttp/", "aiohttp"), ("phonenumbers/", "phonenumbers"), ("json/", "json"),
                           ("asyncio/", "asyncio loop"), ("selectors", "asyncio loop"), ("greenlet", "SQLAlchemy")):
        if name.startswith(prefix) or prefix in name:
            return bucket
    return None


def summary(raw: Path, top: int = 20) -> list[str]:
    threads: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    buckets: Counter[str] = Counter()
    innermost: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        thread = frames[0] if frames[0].startswith(("thread", "process")) else "?"
        body = frames[1:] if thread != "?" else frames
        total += n
        threads[thread] += n
        if body:
            leaves[_name(body[-1])] += n
        areas = [x for f in body if (x := _bucket(f))]
        for b in set(areas):
            buckets[b] += n
        innermost[areas[-1] if areas else "other (stdlib, service_proc, …)"] += n
    if not total:
        return ["(no samples)"]
    out = [f"{total} samples of the thread holding the GIL (py-spy --gil; waits excluded)"]
    out += [f"  thread {t}: {n / total:.0%}" for t, n in threads.most_common(4)]
    out.append("  by area, each sample once (the innermost area on its stack):")
    out += [f"    {n / total:6.1%}  {b}" for b, n in innermost.most_common()]
    out.append("  inclusive, by area (a sample counts in every area on its stack):")
    out += [f"    {n / total:6.1%}  {b}" for b, n in buckets.most_common()]
    out.append(f"  hottest leaf functions (self time), top {top}:")
    out += [f"    {n / total:6.1%}  {f}" for f, n in leaves.most_common(top)]
    return out
