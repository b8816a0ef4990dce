"""Importing customers from a CSV file (format: cti.customers.csv_format) into the database.

Rows are read as a stream and stored in batches (one transaction each, with an
audit row per customer). A bad row is reported with its line number and
skipped; the good rows around it are kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from cti.audit import record
from cti.customers import service
from cti.customers.csv_format import ImportRow, RowError, file_encoding, read_rows
from cti.store import Database

BATCH = 500


@dataclass
class ImportReport:
    encoding: str = ""
    created: int = 0
    errors: list[RowError] = field(default_factory=list)


async def import_file(
    db: Database,
    path: str | os.PathLike[str],
    *,
    region: str = "CN",
    actor: str = "import",
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    """Import every good row; ``progress(n)`` is called after each record with the count done."""
    report = ImportReport()
    try:
        report.encoding = file_encoding(path)
    except ValueError:
        report.encoding = "unknown"
    batch: list[ImportRow] = []
    done = 0
    for item in read_rows(path, region=region):
        done += 1
        if isinstance(item, RowError):
            report.errors.append(item)
        else:
            batch.append(item)
        if len(batch) >= BATCH:
            report.created += await _store(db, batch, actor)
            batch = []
        progress(done)
    if batch:
        report.created += await _store(db, batch, actor)
    return report


async def _store(db: Database, rows: list[ImportRow], actor: str) -> int:
    async with db.session() as session:
        staged = [service.add(session, _new_customer(row)) for row in rows]
        await session.flush()
        for customer in staged:
            record(session, actor=actor, entity="customer", entity_id=customer.id, action="import",
                   after=service.summary(customer))
        await session.commit()
    return len(staged)


def _new_customer(row: ImportRow) -> service.NewCustomer:
    return service.NewCustomer(
        name=row.name,
        phones=row.phones,
        tier=row.tier or "standard",
        notes=row.notes,
        city=row.city,
        address=row.address,
        products=[service.NewProduct(p.model, p.serial, p.purchase_date, p.warranty_months) for p in row.products],
    )
