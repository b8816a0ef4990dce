"""Where the framer's time goes: splitting and skipping frames on their bytes, against parsing the kept ones.

    .venv/bin/python bench/framing.py              # the 1,000,000-event stream of bench/ingest.py
    .venv/bin/python bench/framing.py --events 100000

The stream (cached by ``bench/ingest.py`` in ``var/bench/``) is cut into blocks
of whole frames of at most 64 KiB. Three measures of CPU time, best of
``--repeat``: ``_parse_block`` with the tracker's skip rules (what a connection
does), the skip step alone (split on ``\\r\\n\\r\\n``, look at the ``Event:`` line,
keep or count), and the kept frames parsed without rules. Prints numbers only.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stream import load_or_generate  # noqa: E402

from cti.ami.framing import _EOM, _EVENT, _PARSE, Rules, _parse_block, skip_rules  # noqa: E402
from cti.ami.tracker import CallTracker  # noqa: E402

BLOCK = 64 * 1024


def blocks_of(data: bytes) -> list[bytes]:
    """Blocks of whole frames (without their last terminator), each at most BLOCK bytes when frames allow."""
    out, start = [], 0
    while start < len(data):
        end = data.rfind(_EOM, start, start + BLOCK)
        if end < 0:
            end = data.find(_EOM, start)
            if end < 0:
                break
        out.append(data[start:end])
        start = end + 4
    return out


def kept_frames(block: bytes, rules: Rules) -> list[bytes]:
    """The skip step of ``_parse_block`` alone: the frames a connection decodes and parses."""
    rule_of, kept = rules.get, []
    for raw in block.split(_EOM):
        if raw[:7] == _EVENT:
            eol = raw.find(b"\r\n", 7)
            rule = rule_of(raw[7:eol] if eol >= 0 else raw[7:], _PARSE)
            if rule is not _PARSE and (rule is None or rule not in raw):
                continue
        kept.append(raw)
    return kept


def best(work: Callable[[], int], repeat: int) -> tuple[float, int]:
    runs = []
    for _ in range(repeat):
        started = time.process_time()
        count = work()
        runs.append(time.process_time() - started)
    return min(runs), count


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    tracker = CallTracker()
    rules = skip_rules(tracker.ignored_events, tracker.skip_unless)
    stream, _ = load_or_generate(args.events, agents=200, concurrency=200)
    blocks = blocks_of(stream.data)
    kept = [_EOM.join(kept_frames(b, rules)) for b in blocks]
    whole, messages = best(lambda: sum(len(_parse_block(b, rules)[0]) for b in blocks), args.repeat)
    skip, frames = best(lambda: sum(len(kept_frames(b, rules)) for b in blocks), args.repeat)
    parse, parsed = best(lambda: sum(len(_parse_block(b)[0]) for b in kept), args.repeat)
    n = stream.events
    print(f"stream: {n:,} events in {len(blocks):,} blocks of ≤ {BLOCK // 1024} KiB; {frames:,} frames kept")
    print(f"_parse_block with the skip rules   {whole:6.3f} s  {whole / n * 1e6:5.2f} µs/event   {messages:,} messages")
    print(f"  split + skip on the bytes        {skip:6.3f} s  {skip / n * 1e6:5.2f} µs/event")
    print(f"  decode + parse the kept frames   {parse:6.3f} s  {parse / max(parsed, 1) * 1e6:5.2f} µs/kept frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
