"""``cti reports rebuild --from --to``: the reports' daily aggregates of a range of days deleted and
inserted again from the call log and the tickets, one transaction a day (run it as often as you like)."""

from __future__ import annotations

import argparse
import datetime as dt
import time

from cti.cli import CliError, _open_db
from cti.config import Settings


async def rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from cti.supervision.reports_build import rebuild as rebuild_days

    first, last = args.first, args.last or args.first
    if last < first:
        raise CliError(f"--to {last} is before --from {first}")
    db = await _open_db(settings)
    started = time.perf_counter()

    def progress(day: dt.date, rows: int) -> None:
        print(f"{day.isoformat()}: {rows} rows", flush=True)

    try:
        rows = await rebuild_days(db, first, last, settings.zone, progress=progress)
    finally:
        await db.close()
    days = (last - first).days + 1
    print(f"rebuilt {days} days ({rows} rows) in {time.perf_counter() - started:.1f} s")
    return 0
