"""Importing the open tickets of the system being replaced (format: :mod:`cti.tickets.import_format`).

Each good row becomes a ticket the way the console would make it: the customer found by phone (added,
with the name, when nobody has the number), the product found among theirs by serial or model (added,
with the purchase date, when missing), the ticket opened through :func:`cti.tickets.service.open_ticket`
at the row's ``opened_at`` (history, audit, SLA clocks from then), then walked to its state along the
workflow's table (:func:`cti.tickets.demo.path_to`) by the actor ``import``, now; its SLA status is
as of now (an old ticket may be breached at once: the SLA tick announces it, and escalates a complaint). The replaced
system's number is kept as ``external_ref``: a row whose number is already here is skipped, so the
same file can be imported again.

Rows are stored in batches, one transaction each, every row in a SAVEPOINT: a row the tickets service
refuses is reported and rolled back alone. A dry run does all of it and rolls every batch back (a
customer that an earlier batch would have added is then unknown to a later one: a row that names it by
phone alone is reported as needing the name, which the real import would not).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.csv_input import RowError, RowProblem, file_encoding
from cti.customers import service as customers
from cti.store import Database
from cti.store.base import utcnow
from cti.tickets import clocks, service, workflow
from cti.tickets.demo import path_to
from cti.tickets.import_format import TicketRow, read_rows
from cti.tickets.models import Ticket

ACTOR = service.Actor("import", "admin")
NOTE = "导入：原系统状态"  # the note or reason a step of the walk needs (imported: the old system's state)
BATCH = 200
IMPORTED, SKIPPED = "imported", "skipped"
_COLUMN = {"phones": "phone", "name": "customer"}  # the customers domain's fields as this format's columns


@dataclass
class ImportReport:
    encoding: str = ""
    imported: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    notices: list[RowError] = field(default_factory=list)  # unknown columns: ignored, not a failure

    @property
    def summary(self) -> str:
        return f"imported {self.imported}, skipped {self.skipped}, {len(self.errors)} errors"


@dataclass(frozen=True)
class _Context:
    promises: clocks.Promises
    now: dt.datetime
    zone: dt.tzinfo
    dry_run: bool


async def import_file(db: Database, path: str | os.PathLike[str], *, zone: dt.tzinfo, region: str = "CN",
                      now: dt.datetime | None = None, dry_run: bool = False,
                      progress: Callable[[int], None] = lambda n: None) -> ImportReport:
    """Import every good row; ``progress(n)`` after each record with the count read so far."""
    report = ImportReport()
    try:
        report.encoding = file_encoding(path)
    except ValueError:
        report.encoding = "unknown"
    now = now or utcnow()
    context = _Context(await db.read(clocks.Promises.load, str(zone)), now, zone, dry_run)
    seen: dict[str, int] = {}  # external_ref → the line that brought it (a number twice in the file)
    batch: list[TicketRow] = []
    done = 0
    for item in read_rows(path, zone=zone, now=now, region=region):
        done += 1
        if isinstance(item, RowError):
            (report.notices if item.code == "unknown_column" else report.errors).append(item)
        elif item.external_ref in seen:
            report.errors.append(RowError(item.line, "external_ref", f"external_ref {item.external_ref!r} is on line "
                                          f"{seen[item.external_ref]} too", "duplicate_ref", item.external_ref))
        else:
            seen[item.external_ref] = item.line
            batch.append(item)
        if len(batch) >= BATCH:
            await _store(db, batch, context, report)
            batch = []
        progress(done)
    if batch:
        await _store(db, batch, context, report)
    report.errors.sort(key=lambda e: e.line)  # a batch's refusals come after the reading's errors around it
    return report


async def _store(db: Database, rows: list[TicketRow], context: _Context, report: ImportReport) -> None:
    for outcome in await db.write(store_batch, rows, context):
        if outcome == IMPORTED:
            report.imported += 1
        elif outcome == SKIPPED:
            report.skipped += 1
        else:
            report.errors.append(outcome)


def store_batch(session: Session, rows: Sequence[TicketRow], context: _Context) -> list[str | RowError]:
    """One transaction: each row imported, skipped (its number is here already) or refused (a RowError)."""
    refs = [row.external_ref for row in rows]
    known = set(session.scalars(select(Ticket.external_ref).where(Ticket.external_ref.in_(refs))))
    outcomes: list[str | RowError] = []
    for row in rows:
        if row.external_ref in known:
            outcomes.append(SKIPPED)
            continue
        try:
            with session.begin_nested():  # a SAVEPOINT: a refused row leaves the batch intact
                _store_row(session, row, context)
            outcomes.append(IMPORTED)
        except RowProblem as problem:
            outcomes.append(problem.at(row.line))
        except service.TicketError as exc:
            outcomes.append(RowError(row.line, "", f"refused by the tickets service: {exc}", exc.code))
        except customers.CustomerError as exc:
            outcomes.append(RowError(row.line, _COLUMN.get(exc.field, exc.field), str(exc), exc.code))
    if context.dry_run:
        session.rollback()
    return outcomes


def _store_row(session: Session, row: TicketRow, context: _Context) -> None:
    opened = row.opened_at or context.now
    customer_id = _customer(session, row)
    new = service.NewTicket(customer_id, row.service_type, row.service_mode, priority=row.priority,
                            product_id=_product(session, customer_id, row), description=row.description,
                            keep_open=True, external_ref=row.external_ref)
    ticket, _ = service.open_ticket(session, new, ACTOR, now=opened, promises=context.promises,
                                    local_day=opened.astimezone(context.zone).date())
    walk(session, ticket.id, workflow.WORKFLOWS[ticket.workflow], row.state, context)
    clocks.settle(ticket, clocks.clocks_of(session, ticket.id), context.promises, context.now)


def walk(session: Session, ticket_id: int, flow: workflow.Workflow, state: str, context: _Context) -> None:
    """Move a new ticket from its first state to ``state`` along the table (the events are not published:
    the import runs outside the service; the console reads the tables)."""
    for step in path_to(flow, state):
        text = NOTE if (step.needs_note or step.needs_reason) else ""
        service.change_state(session, ticket_id, step.target, ACTOR, now=context.now, promises=context.promises,
                             note=text, reason=text if step.needs_reason else "")


def _customer(session: Session, row: TicketRow) -> int:
    """The oldest customer with the row's first known number; a new one (with the name) when none."""
    found = customers.ids_by_phones(session, [p.e164 for p in row.phones if p.e164])
    for phone in row.phones:
        if found.get(phone.e164 or ""):
            return found[phone.e164 or ""][0]
    if not row.customer:
        raise RowProblem("customer", "required", "no customer has this number: the customer's name is needed to add one")
    new = customers.NewCustomer(name=row.customer, phones=list(row.phones), city=row.city, district=row.district,
                                address=row.address)
    return customers.add_audited(session, new, actor=ACTOR.username, action="import").id


def _product(session: Session, customer_id: int, row: TicketRow) -> int | None:
    if not (row.model or row.serial):
        return None
    found: Any = customers.match_product(session, customer_id, serial=row.serial, model=row.model)
    if found is not None:
        return found.id
    if not row.model:
        raise RowProblem("model", "required", f"the customer has no product with serial {row.serial!r}: its model is "
                                              "needed to add it")
    if row.purchase_date is None:
        raise RowProblem("purchase_date", "required", "the customer has no such product: its purchase date is needed "
                                                      "to add it")
    new = customers.NewProduct(row.model, row.serial, row.purchase_date, row.warranty_months)
    return customers.add_product(session, customer_id, new, actor=ACTOR.username).id
