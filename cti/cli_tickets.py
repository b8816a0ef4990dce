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


async def import_(args: argparse.Namespace, settings: Settings) -> int:
    from cti.cli import _write_errors
    from cti.csv_input import count_records
    from cti.tickets.importer import import_file

    if not args.file.is_file():
        raise CliError(f"no such file: {args.file}")
    total = count_records(args.file)
    db = await _open_db(settings)
    try:
        with _bar("importing") as bar:
            task = bar.add_task("import", total=total)
            report = await import_file(db, args.file, zone=settings.zone, region=settings.default_region,
                                       dry_run=args.dry_run, progress=lambda n: bar.update(task, completed=n))
    finally:
        await db.close()
    for note in report.notices:
        print(f"line {note.line}: {note.message}", file=sys.stderr)
    for err in report.errors[:50]:
        print(f"line {err.line}: {err.column or 'file'}: {err.message}", file=sys.stderr)
    if len(report.errors) > 50:
        print(f"… and {len(report.errors) - 50} more errors", file=sys.stderr)
    if args.errors:
        _write_errors(args.errors, report.errors)
    prefix = "dry run, nothing written: " if args.dry_run else ""
    print(f"{prefix}{report.summary} ({report.encoding})")
    return 1 if report.errors else 0
