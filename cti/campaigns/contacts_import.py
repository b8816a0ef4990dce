"""Importing a CSV file of contacts into a campaign (a "list" campaign's people, or more for any other):
the format, each batch's storage, and the run that the console and ``cti campaigns import`` share.

The file is read like the customer and ticket files (:mod:`cti.csv_input`: UTF-8 with or without BOM or
GB18030; a header row, names in English or Chinese, any order). Columns: ``number`` (required; one
number, any written form, stored in E.164), ``name``, ``language`` (``zh``/``en``, also 中文/英文),
``ticket`` (a ticket's number, or the replaced system's: the contact is linked to it and its customer when
found; a number not found is said in the report and the contact added all the same) and ``note`` (the
reason to call, shown on the pop).

Every import is a ``campaign_imports`` row: the run stores the file a batch at a time, each batch one
transaction that also moves the row's counts and report on, so the progress any process reads is what
is stored. A row is added once per campaign: its ``dedupe_key`` is the number, so a number already in the
campaign (or earlier in the file) is skipped and reported, and the same file imported again adds nothing
twice. A number on the do-not-call list is reported and not added. Contacts are due at once: the
campaign's state, dates and window decide when they are rung.

>>> (row,) = read_rows("电话,姓名,语言,备注\\n138 0013 8000,张三,中文,=1+1\\n".encode(), region="CN")
>>> row.e164, row.name, row.language, row.note
('+8613800138000', '张三', 'zh', '=1+1')
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cti.campaigns.admin import audit, get
from cti.campaigns.forms import CampaignError
from cti.campaigns.models import CampaignContact, CampaignImport, DoNotCall
from cti.csv_input import Record, RowError, RowProblem, detect_encoding, header_key, limited, one_line, parse_phones
from cti.csv_input import read_records
from cti.customers.service import ids_by_phones
from cti.store.dialects import upsert_insert
from cti.tickets.models import Ticket

log = logging.getLogger(__name__)
ALIASES = {
    "number": ("phone", "phones", "mobile", "tel", "号码", "电话", "手机", "手机号", "手机号码", "联系电话", "电话号码",
               "客户电话"),
    "name": ("customer", "customer_name", "姓名", "客户", "客户姓名", "名称", "客户名称", "联系人"),
    "language": ("lang", "语言", "语种"),
    "ticket": ("ticket_no", "ticket_number", "工单", "工单号", "工单编号", "单号", "原工单号"),
    "note": ("notes", "remark", "reason", "备注", "说明", "原因"),
}
LANGUAGES = {"zh": ("中文", "汉语", "普通话", "chinese", "cn", "zh-cn"), "en": ("英文", "英语", "english", "en-us")}
FILE_PROBLEMS = ("duplicate_column", "missing_column", "empty_file", "bad_encoding", "csv_syntax")  # reading stops
BATCH = 500
REPORT_MAX = 1000  # report lines kept; the counts go on
STALE = dt.timedelta(minutes=2)  # a running import not moved on for this long was interrupted
MAX_LENGTH = {"name": 200, "ticket": 60, "note": 500}
_LANGUAGE_KEYS = {code: {header_key(w) for w in (code, *words)} for code, words in LANGUAGES.items()}


@dataclass(frozen=True, slots=True)
class ContactRow:
    line: int
    e164: str
    name: str
    language: str
    ticket: str
    note: str


def read_rows(source: Any, *, region: str) -> Iterator[ContactRow | RowError]:
    """One :class:`ContactRow` per good record, one :class:`RowError` per problem, in the file's order."""
    for item in read_records(source, ALIASES, ("number",)):
        if isinstance(item, RowError):
            yield item
            continue
        try:
            yield _row(item, region)
        except RowProblem as problem:
            yield problem.at(item.line)


def _row(r: Record, region: str) -> ContactRow:
    phones = parse_phones(r["number"], region, "number")
    if len(phones) > 1:
        raise RowProblem("number", "one_number", "one number a row", r["number"])
    if phones[0].kind == "short":
        raise RowProblem("number", "invalid_phone", f"invalid phone number {r['number']!r}", r["number"])
    key = header_key(r["language"])
    language = next((code for code, keys in _LANGUAGE_KEYS.items() if key in keys), None) if key else ""
    if language is None:
        raise RowProblem("language", "bad_language", f"language {r['language']!r} is not zh or en", r["language"])
    text = {c: limited(one_line(r[c]), n, c) for c, n in MAX_LENGTH.items()}
    return ContactRow(r.line, phones[0].e164 or "", text["name"], language, text["ticket"], text["note"])


# --- storing ------------------------------------------------------------------------------------------


def start(session: Session, campaign_id: int, *, filename: str, total: int, encoding: str, actor: str,
          now: dt.datetime) -> int:
    """The import's row, before anything is read (``finished`` when the campaign is)."""
    if get(session, campaign_id).state == "finished":
        raise CampaignError("finished")
    job = CampaignImport(campaign_id=campaign_id, filename=filename[:200], total=total, encoding=encoding,
                         created_by=actor, started_at=now, updated_at=now, report=[])
    session.add(job)
    session.flush()
    return job.id


def _report(job: CampaignImport, lines: list[list[Any]]) -> None:
    room = REPORT_MAX - len(job.report or [])
    if lines and room > 0:
        job.report = [*(job.report or []), *lines[:room]]  # a new list: the JSON column sees the change


def _insert(session: Session, values: list[dict[str, Any]]) -> set[str]:
    """Insert the contacts, skipping any whose key another transaction added meanwhile; the keys inserted."""
    if not values:
        return set()
    stmt = (upsert_insert(session)(CampaignContact).on_conflict_do_nothing(index_elements=["campaign_id", "dedupe_key"])
            .returning(CampaignContact.dedupe_key))
    return set(session.scalars(stmt, values))


def _tickets(session: Session, refs: set[str]) -> dict[str, tuple[int, int]]:
    """Tickets by their number or the replaced system's: (id, customer id)."""
    if not refs:
        return {}
    found: dict[str, tuple[int, int]] = {}
    for t in session.execute(select(Ticket.id, Ticket.number, Ticket.external_ref, Ticket.customer_id).where(
            or_(Ticket.number.in_(refs), Ticket.external_ref.in_(refs)))):
        for ref in (t.external_ref, t.number):  # the console's number wins
            if ref in refs:
                found[ref] = (t.id, t.customer_id)
    return found


def store_batch(session: Session, job_id: int, rows: Sequence[ContactRow], errors: Sequence[RowError], done: int,
                *, now: dt.datetime) -> None:
    """One transaction: the good rows added (or skipped: already there, do-not-call), the refused ones
    reported, and the import's row moved on to ``done`` records."""
    job = session.get(CampaignImport, job_id, with_for_update=True)
    assert job is not None
    if get(session, job.campaign_id).state == "finished":
        raise CampaignError("finished")
    numbers = [r.e164 for r in rows]
    existing = set(session.scalars(select(CampaignContact.dedupe_key).where(
        CampaignContact.campaign_id == job.campaign_id, CampaignContact.dedupe_key.in_(numbers))))
    blocked = set(session.scalars(select(DoNotCall.e164).where(DoNotCall.e164.in_(numbers))))
    tickets = _tickets(session, {r.ticket for r in rows if r.ticket})
    customers = ids_by_phones(session, numbers)
    report: list[list[Any]] = [[e.line, e.column, e.code, e.value] for e in errors]
    values: list[dict[str, Any]] = []
    lines: dict[str, int] = {}
    for r in rows:
        if r.e164 in blocked:
            job.do_not_call += 1
            report.append([r.line, "number", "do_not_call", r.e164])
        elif r.e164 in existing:
            job.duplicates += 1
            report.append([r.line, "number", "duplicate", r.e164])
        else:
            existing.add(r.e164)
            lines[r.e164] = r.line
            ticket_id, customer_id = tickets.get(r.ticket, (None, None))
            if r.ticket and ticket_id is None:
                report.append([r.line, "ticket", "ticket_not_found", r.ticket])
            values.append(dict(campaign_id=job.campaign_id, e164=r.e164, name=r.name, language=r.language,
                               ticket_id=ticket_id, customer_id=customer_id or next(iter(customers.get(r.e164, [])), None),
                               reason=r.note, data={}, dedupe_key=r.e164, source="import", state="pending", outcome="",
                               attempts=0, next_at=now, created_at=now, updated_at=now))
    inserted = _insert(session, values)
    for key in set(lines) - inserted:  # another import added it in the meantime
        job.duplicates += 1
        report.append([lines[key], "number", "duplicate", key])
    job.added += len(inserted)
    job.invalid += sum(1 for e in errors if e.code != "unknown_column")
    job.done, job.updated_at = done, now
    _report(job, sorted(report, key=lambda x: x[0]))


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """An import as it stands (a ``campaign_imports`` row's values, outside any session)."""

    id: int
    campaign_id: int
    filename: str
    state: str
    total: int
    done: int
    added: int
    duplicates: int
    do_not_call: int
    invalid: int
    encoding: str
    report: list[list[Any]]
    error: str
    created_by: str
    started_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None


def summary(job: CampaignImport) -> ImportSummary:
    return ImportSummary(**{name: getattr(job, name) for name in ImportSummary.__slots__})


def finish(session: Session, job_id: int, *, error: str = "", now: dt.datetime) -> ImportSummary:
    """The import ended (``done``, or ``failed`` with why); audited with its counts by whoever started it."""
    job = session.get(CampaignImport, job_id, with_for_update=True)
    assert job is not None
    job.state = "failed" if error else "done"
    job.error, job.finished_at, job.updated_at = error[:300], now, now
    audit(session, job.created_by, "campaign", job.campaign_id, "import", None, {
        "import_id": job.id, "file": job.filename, "state": job.state, "added": job.added,
        "duplicates": job.duplicates, "do_not_call": job.do_not_call, "invalid": job.invalid, "error": job.error})
    return summary(job)


def state_of(job: CampaignImport | ImportSummary, now: dt.datetime) -> str:
    """``running``, ``done``, ``failed``, or ``interrupted`` (running, but nothing stored for :data:`STALE`:
    the process that ran it stopped)."""
    if job.state == "running" and now - job.updated_at > STALE:
        return "interrupted"
    return job.state


# --- the run ------------------------------------------------------------------------------------------


def count_rows(data: bytes) -> int:
    """Data lines of a file (the progress bar's end; quoted line breaks make it an upper bound)."""
    return max(sum(1 for line in data.splitlines() if line.strip()) - 1, 0)


def encoding_of(data: bytes) -> str:
    try:
        return detect_encoding(data)
    except ValueError:
        return "unknown"


def _take(items: Iterator[ContactRow | RowError], n: int) -> list[ContactRow | RowError]:
    out: list[ContactRow | RowError] = []
    for item in items:
        out.append(item)
        if len(out) >= n:
            break
    return out


async def run(db: Any, job_id: int, data: bytes, *, region: str, clock: Callable[[], dt.datetime],
              batch: int = BATCH, progress: Callable[[int], None] = lambda n: None) -> ImportSummary:
    """Read ``data`` and store it into the import ``job_id`` a batch at a time (reading in a worker thread:
    the event loop keeps serving); the import's row when it ended. A failure ends it ``failed`` with the reason."""
    items = read_rows(data, region=region)
    done, error = 0, ""
    try:
        while chunk := await asyncio.to_thread(_take, items, batch):
            rows = [i for i in chunk if isinstance(i, ContactRow)]
            errors = [i for i in chunk if isinstance(i, RowError)]
            done += len(rows) + sum(1 for e in errors if e.line > 1 and e.code not in FILE_PROBLEMS)
            error = next((e.code for e in errors if e.code in FILE_PROBLEMS), error)
            await db.write(store_batch, job_id, rows, errors, done, now=clock())
            progress(done)
    except CampaignError as exc:
        error = exc.code
    except asyncio.CancelledError:
        await asyncio.shield(db.write(finish, job_id, error="interrupted", now=clock()))
        raise
    except Exception as exc:  # a database gone away: said on the page, logged in full
        log.exception("campaign import %s failed", job_id)
        error = type(exc).__name__
    return await db.write(finish, job_id, error=error, now=clock())
