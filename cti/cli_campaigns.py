"""``cti campaigns import`` and ``cti campaigns export``: a CSV file of contacts into a campaign, and a
campaign's results (or its attempts) to a spreadsheet file (formats: docs/OPERATIONS.md, "Campaigns")."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from cti.cli import CliError, export_with_progress, import_with_progress
from cti.config import Settings


def _campaign_id(session, name_or_id: str) -> int | None:
    """A campaign by its id or its exact name."""
    from sqlalchemy import select

    from cti.campaigns.models import Campaign

    found = session.scalar(select(Campaign.id).where(Campaign.name == name_or_id))
    if found is None and name_or_id.isdigit():
        found = session.scalar(select(Campaign.id).where(Campaign.id == int(name_or_id)))
    return found


async def _find(db, name_or_id: str) -> int:
    found = await db.read(_campaign_id, name_or_id)
    if found is None:
        raise CliError(f"no campaign named or numbered {name_or_id!r}")
    return found


async def import_(args: argparse.Namespace, settings: Settings) -> int:
    from cti.campaigns import contacts_import as imports
    from cti.campaigns.forms import CampaignError
    from cti.store.base import utcnow

    data = args.file.read_bytes() if args.file.is_file() else b""

    async def work(db, progress):
        campaign_id = await _find(db, args.campaign)
        try:
            job_id = await db.write(imports.start, campaign_id, filename=args.file.name, total=imports.count_rows(data),
                                    encoding=imports.encoding_of(data), actor="cli", now=utcnow())
        except CampaignError as exc:
            raise CliError(f"campaign {args.campaign!r}: {exc.code}") from None
        return await imports.run(db, job_id, data, region=settings.default_region, clock=utcnow, progress=progress)

    job = await import_with_progress(args.file, settings, work)
    for line, column, code, value in job.report:
        print(f"line {line}: {column or 'file'}: {code}{f' {value}' if value else ''}", file=sys.stderr)
    if job.invalid + job.duplicates + job.do_not_call > len(job.report):
        print(f"… the report keeps the first {len(job.report)} lines", file=sys.stderr)
    print(f"added {job.added}, duplicates {job.duplicates}, do-not-call {job.do_not_call}, refused {job.invalid}"
          f" ({job.encoding}){f'; stopped: {job.error}' if job.error else ''}")
    return 1 if job.error or (job.invalid and not job.added) else 0


async def export(args: argparse.Namespace, settings: Settings) -> int:
    from cti.campaigns import export as campaigns
    from cti.cli import _open_db

    db = await _open_db(settings)
    try:
        campaign_id = await _find(db, args.campaign)
    finally:
        await db.close()
    what = "attempts" if args.attempts else "results"
    output = args.out or Path(f"campaign-{campaign_id}-{what}-{dt.datetime.now(settings.zone).date()}.{args.format}")
    header = campaigns.ATTEMPT_COLUMNS if args.attempts else campaigns.RESULT_COLUMNS
    rows = campaigns.attempts if args.attempts else campaigns.results
    n = await export_with_progress(settings, output, args.format, header, what,
                                   lambda db: rows(db, campaign_id, settings.zone),
                                   lambda db: db.read(campaigns.count, campaign_id, of_attempts=args.attempts))
    print(f"exported {n} {'attempts' if args.attempts else 'contacts'} to {output}")
    return 0
