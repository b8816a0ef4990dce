"""``cti tickets export`` and ``cti tickets import``: the ticket list to a spreadsheet file, and the open
tickets of the system being replaced into this one (formats: README.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from cti.cli import export_with_progress, import_with_progress, print_row_errors
from cti.config import Settings


def _filters(args: argparse.Namespace, zone: dt.tzinfo):
    from cti.tickets.queries import Filters

    def start(day: dt.date | None) -> dt.datetime | None:
        return dt.datetime.combine(day, dt.time(), zone) if day else None

    return Filters(state=args.state or "", service_type=args.type or "", open_only=args.open,
                   since=start(args.since), until=start(args.until + dt.timedelta(days=1) if args.until else None))


async def export(args: argparse.Namespace, settings: Settings) -> int:
    from cti.tickets import export as tickets

    zone = settings.zone
    flt = _filters(args, zone)
    output = args.output or Path(f"tickets-{dt.datetime.now(zone).date().isoformat()}.{args.format}")
    n = await export_with_progress(settings, output, args.format, tickets.COLUMNS, "tickets",
                                   lambda db: tickets.rows(db, flt, zone), lambda db: db.read(tickets.count, flt))
    print(f"exported {n} tickets to {output}")
    return 0


async def import_(args: argparse.Namespace, settings: Settings) -> int:
    from cti.tickets.importer import import_file

    report = await import_with_progress(args.file, settings, lambda db, progress: import_file(
        db, args.file, zone=settings.zone, region=settings.default_region, dry_run=args.dry_run, progress=progress))
    for note in report.notices:
        print(f"line {note.line}: {note.message}", file=sys.stderr)
    print_row_errors(report.errors, args.errors)
    prefix = "dry run, nothing written: " if args.dry_run else ""
    print(f"{prefix}{report.summary} ({report.encoding})")
    return 1 if report.errors else 0
