"""``cti tickets export`` and ``cti tickets import``: the ticket list to a spreadsheet file, and the open
tickets of the system being replaced into this one (formats: README.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from cti.cli import CliError, _open_db, _stderr_console
from cti.config import Settings


def _bar(label: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    return Progress(*columns, transient=True, console=_stderr_console())


def _filters(args: argparse.Namespace, zone: dt.tzinfo):
    from cti.tickets.queries import Filters

    def start(day: dt.date | None) -> dt.datetime | None:
        return dt.datetime.combine(day, dt.time(), zone) if day else None

    return Filters(state=args.state or "", service_type=args.type or "", open_only=args.open,
                   since=start(args.since), until=start(args.until + dt.timedelta(days=1) if args.until else None))


async def export(args: argparse.Namespace, settings: Settings) -> int:
    from cti import sheets
    from cti.tickets import export as tickets

    zone = settings.zone
    flt = _filters(args, zone)
    output = args.output or Path(f"tickets-{dt.datetime.now(zone).date().isoformat()}.{args.format}")
    db = await _open_db(settings)
    try:
        total = await db.read(tickets.count, flt)
        with output.open("wb") as fh, _bar("exporting") as bar:
            task = bar.add_task("export", total=total)
            rows = sheets.counted(tickets.rows(db, flt, zone), lambda n: bar.update(task, completed=n))
            n = await sheets.write(args.format, tickets.COLUMNS, rows, fh, title="tickets")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror}") from None
    finally:
        await db.close()
    print(f"exported {n} tickets to {output}")
    return 0
