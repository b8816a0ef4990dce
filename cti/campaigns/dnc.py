"""The do-not-call list (``do_not_call``): numbers nobody may ring, checked by the claims at every dial.

Entries come from a supervisor (``manual``, with a note), a CSV file (``import``) or a survey where the
customer keyed 9 (``survey``, added by the survey's code). Numbers are stored in E.164, read from any
written form with the service's region (:func:`cti.phone.normalise`). Every change is audited.

A CSV import is all or nothing: :func:`read_import` (pure, no database) reads the whole file and
reports every row it cannot read (line, column, what is wrong); only a file without such a row is
stored, by :func:`store_import` in one transaction. A number already on the list, or twice in the
file, is counted and left as it is. Columns (header names in English or Chinese, any order):
``number`` (required; 号码, 电话, 手机, 手机号, 联系电话, 电话号码, phone, mobile, tel) and ``note``
(备注, 说明, 原因, remark, reason).

>>> found = read_import("号码,备注\\n138 0013 8000,投诉后要求\\n12345,\\n".encode("gb18030"), region="CN")
>>> [(e.line, e.e164, e.note) for e in found.entries], [(e.line, e.code) for e in found.errors], found.encoding
([(2, '+8613800138000', '投诉后要求')], [(3, 'invalid_phone')], 'gb18030')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cti.campaigns.admin import audit
from cti.campaigns.forms import CampaignError
from cti.campaigns.models import DoNotCall
from cti.csv_input import Record, RowError, RowProblem, detect_encoding, limited, one_line, parse_phones, read_records
from cti.phone import normalise, search_keys

SOURCES = ("manual", "import", "survey")
MAX_NOTE = 200
PAGE_SIZE = 50
CHUNK = 500  # numbers per IN (…) when storing an import
ALIASES = {
    "number": ("phone", "phones", "mobile", "tel", "号码", "电话", "手机", "手机号", "手机号码", "联系电话", "电话号码",
               "客户电话"),
    "note": ("notes", "remark", "reason", "备注", "说明", "原因"),
}
COLUMNS = ("number", "source", "note", "added_by", "added_at")
_DIGITS = re.compile(r"[\d\s()+-]*\d[\d\s()+-]*")


class DncError(CampaignError):
    """A refused change of the list; ``code`` names the message ``dnc.error.<code>``."""


def number_of(raw: str, *, region: str) -> str:
    """The E.164 form of a number as typed; ``invalid_number`` when it is none."""
    info = normalise(raw, region=region)
    if info.e164 is None or info.kind == "short":
        raise DncError("invalid_number", "number", number=raw.strip()[:40])
    return info.e164


def _note(text: str) -> str:
    note = one_line(text)
    if len(note) > MAX_NOTE:
        raise DncError("note_too_long", "note", max=MAX_NOTE)
    return note


def add(session: Session, raw: str, note: str, *, actor: str, region: str, now: dt.datetime,
        source: str = "manual") -> DoNotCall:
    """Put a number on the list (``already_listed`` when it is there)."""
    e164, note = number_of(raw, region=region), _note(note)
    if session.get(DoNotCall, e164) is not None:
        raise DncError("already_listed", "number", number=e164)
    entry = DoNotCall(e164=e164, source=source, note=note, added_by=actor, added_at=now)
    session.add(entry)
    try:
        session.flush()
    except IntegrityError:  # added by someone else a moment ago
        raise DncError("already_listed", "number", number=e164) from None
    audit(session, actor, "do_not_call", e164, "add", None, {"source": source, "note": note})
    return entry


def remove(session: Session, e164: str, *, actor: str) -> bool:
    """Take a number off the list; False when it was not on it."""
    entry = session.get(DoNotCall, e164)
    if entry is None:
        return False
    before = {"source": entry.source, "note": entry.note, "added_by": entry.added_by,
              "added_at": entry.added_at.isoformat()}
    session.delete(entry)
    audit(session, actor, "do_not_call", e164, "remove", before, None)
    return True


def search(session: Session, text: str, *, region: str, page: int = 1,
           page_size: int = PAGE_SIZE) -> tuple[list[DoNotCall], int]:
    """The list, newest first: every entry, or those whose number (complete or a part of it) or note matches."""
    where: list[Any] = []
    text = text.strip()
    if text:
        keys = search_keys(text, region=region)
        if keys:
            where.append(DoNotCall.e164.in_(keys))
        elif _DIGITS.fullmatch(text):  # part of a number
            where.append(DoNotCall.e164.contains(re.sub(r"\D", "", text), autoescape=True))
        else:
            where.append(or_(DoNotCall.note.contains(text, autoescape=True), DoNotCall.added_by == text))
    total = session.scalar(select(func.count()).select_from(DoNotCall).where(*where)) or 0
    rows = session.scalars(select(DoNotCall).where(*where).order_by(DoNotCall.added_at.desc(), DoNotCall.e164)
                           .offset((page - 1) * page_size).limit(page_size))
    return list(rows), total


# --- a CSV file ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    line: int
    e164: str
    note: str


@dataclass
class DncFile:
    """What a file holds: the numbers to list, the rows that cannot be read, the columns ignored."""

    encoding: str = ""
    entries: list[Entry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notices: list[RowError] = field(default_factory=list)  # unknown columns: ignored
    repeated: int = 0  # numbers given twice in the file (the first is kept)


def _entry(record: Record, region: str) -> Entry:
    phones = parse_phones(record["number"], region, "number")
    if len(phones) > 1:
        raise RowProblem("number", "one_number", "one number a row", record["number"])
    if phones[0].kind == "short":
        raise RowProblem("number", "invalid_phone", f"invalid phone number {record['number']!r}", record["number"])
    note = limited(one_line(record["note"]), MAX_NOTE, "note")
    return Entry(record.line, phones[0].e164 or "", note)


def read_import(data: bytes, *, region: str) -> DncFile:
    """Read a whole file (pure: run it in a thread for a big one)."""
    found = DncFile()
    try:
        found.encoding = detect_encoding(data)
    except ValueError:
        found.encoding = "unknown"
    seen: set[str] = set()
    for item in read_records(data, ALIASES, ("number",)):
        if isinstance(item, RowError):
            (found.notices if item.code == "unknown_column" else found.errors).append(item)
            continue
        try:
            entry = _entry(item, region)
        except RowProblem as problem:
            found.errors.append(problem.at(item.line))
            continue
        if entry.e164 in seen:
            found.repeated += 1
        else:
            seen.add(entry.e164)
            found.entries.append(entry)
    return found


def store_import(session: Session, entries: Sequence[Entry], *, actor: str, now: dt.datetime,
                 filename: str = "") -> tuple[int, int]:
    """One transaction: every entry not on the list yet is added (source ``import``); (added, already listed)."""
    added = already = 0
    for start in range(0, len(entries), CHUNK):
        chunk = entries[start:start + CHUNK]
        listed = set(session.scalars(select(DoNotCall.e164).where(DoNotCall.e164.in_([e.e164 for e in chunk]))))
        for entry in chunk:
            if entry.e164 in listed:
                already += 1
                continue
            session.add(DoNotCall(e164=entry.e164, source="import", note=entry.note, added_by=actor, added_at=now))
            added += 1
        session.flush()
    audit(session, actor, "do_not_call", "import", "import", None,
          {"file": filename, "added": added, "already": already})
    return added, already


async def export_rows(db: Any, zone: dt.tzinfo) -> AsyncIterator[list[Any]]:
    """The whole list for a spreadsheet (:data:`COLUMNS`), a thousand at a time, in number order."""
    after = ""
    while True:
        rows = await db.read(_after, after)
        for r in rows:
            yield [r.e164, r.source, r.note, r.added_by, r.added_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")]
        if len(rows) < 1000:
            return
        after = rows[-1].e164


def _after(session: Session, e164: str) -> list[DoNotCall]:
    return list(session.scalars(select(DoNotCall).where(DoNotCall.e164 > e164).order_by(DoNotCall.e164).limit(1000)))
