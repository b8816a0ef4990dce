"""Replay the recorded AMI traces (the repo copies in tests/fixtures/ami) through framer and tracker."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from cti.events import DomainEvent
from cti.ami.framing import AmiFramer, Message
from cti.ami.tracker import CallTracker

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ami"
TRACES = sorted(p.name for p in FIXTURES.glob("*.ami"))
T0 = 1_795_790_000.0
TICK = 0.01  # the synthetic clock advances 10 ms per message


def trace_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def random_chunks(data: bytes, seed: int, max_read: int = 4096) -> Iterator[bytes]:
    """Cut ``data`` into reads of random sizes (1..max_read bytes), reproducibly."""
    rng = random.Random(seed)
    pos = 0
    while pos < len(data):
        size = rng.randint(1, max_read)
        yield data[pos : pos + size]
        pos += size


def messages(name: str, seed: int = 0) -> tuple[list[Message], AmiFramer]:
    framer = AmiFramer()
    out: list[Message] = []
    for chunk in random_chunks(trace_bytes(name), seed):
        out.extend(framer.feed(chunk))
    return out, framer


def feed_all(
    tracker: CallTracker, msgs: list[Message], start: int = 0
) -> list[DomainEvent]:
    """Feed messages with the synthetic clock (message i arrives at T0 + i * TICK)."""
    events: list[DomainEvent] = []
    for i, msg in enumerate(msgs, start):
        events.extend(tracker.feed(msg, T0 + i * TICK))
    return events


def replay(name: str, seed: int = 0) -> tuple[list[DomainEvent], CallTracker, AmiFramer]:
    msgs, framer = messages(name, seed)
    tracker = CallTracker()
    return feed_all(tracker, msgs), tracker, framer


def by_call(events: list[DomainEvent]) -> dict[str, list[DomainEvent]]:
    calls: dict[str, list[DomainEvent]] = defaultdict(list)
    for event in events:
        call_id = getattr(event, "call_id", None)
        if call_id is not None:
            calls[call_id].append(event)
    return dict(calls)


def of_type(events: list[DomainEvent], kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def names(events: list[DomainEvent]) -> list[str]:
    return [type(e).__name__ for e in events]
