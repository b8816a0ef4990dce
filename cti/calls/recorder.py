"""Bus subscriber that keeps the call log: a row when a call is offered, completed when it ends.

Events arrive in batches (one transaction per batch). A call seen again after a
resync is never inserted twice: rows are keyed by the PBX Linkedid (unique;
``INSERT … ON CONFLICT DO NOTHING``, and a ``CallOffered`` for a call that has
a row is ignored). A batch that fails is written again one event at a time, so
one bad event (or a transient database error) costs at most that event, not
every call in the batch; a call whose row is missing when it ends gets its row
from the ``CallEnded`` summary. PBX-provided strings are cut to their column
sizes (PostgreSQL refuses longer values; SQLite would silently keep them).

Cost per batch (docs/PERFORMANCE.md): the rows of the calls in progress are
kept in memory (call_id → column values and primary key, filled on insert,
dropped when the call ends), so a batch reads no ``calls`` row it already
knows; writes are Core statements: one multi-row ``INSERT`` of the new calls,
one ``UPDATE`` by primary key per set of changed columns (executemany), one
``INSERT`` of the legs, and one customer lookup for every number of the batch.
A batch is one ``Database.write``: written for a synchronous session, it runs
in one go (on SQLite in a worker thread, not statement by statement through
aiosqlite on the event loop that the screen pops share).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cti.events import CallAnswered, CallEnded, CallerIdentified, CallOffered, CallQueued
from cti.bus import BatchPartlyFailed
from cti.calls.models import Call, CallAgentLeg
from cti.logs import clean
from cti.phone import PhoneInfo
from cti.store import Database
from cti.store.base import from_timestamp

log = logging.getLogger(__name__)

CustomerMatcher = Callable[[Session, Sequence[str]], dict[str, list[int]]]  # (session, e164s) -> {e164: [customer ids]}
Normaliser = Callable[[str], PhoneInfo]

_HANDLED = (CallOffered, CallerIdentified, CallQueued, CallAnswered, CallEnded)
_CALLS = Call.__table__
_LEGS = CallAgentLeg.__table__
_COLUMNS = tuple(c.name for c in _CALLS.columns if c.name not in ("id", "ticket_id", "campaign_attempt_id"))
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
MAX_LIVE = 50_000  # calls in progress kept in memory; beyond, the oldest are read again when needed


class _Row:
    """A call row being written: its column values, primary key (None: not inserted yet), changed columns."""

    __slots__ = ("values", "pk", "dirty", "had_end", "legs", "ended")

    def __init__(self, values: dict[str, Any], pk: int | None) -> None:
        self.values, self.pk = values, pk
        self.dirty: set[str] = set()
        self.had_end = values["ended_at"] is not None  # legs may be stored already: replace them if ended again
        self.legs: tuple | None = None  # the agents of the last CallEnded of this batch
        self.ended = False

    def set(self, key: str, value: Any) -> None:
        if self.values[key] != value:
            self.values[key] = value
            self.dirty.add(key)

    def copy(self) -> _Row:
        return _Row(dict(self.values), self.pk)


class CallRecorder:
    def __init__(self, db: Database, normalise: Normaliser, match: CustomerMatcher):
        self._db = db
        self._normalise = normalise
        self._match = match  # one lookup for every number of a batch
        self._live: dict[str, _Row] = {}  # call_id -> row of a call in progress, as committed

    async def handle_batch(self, events: Sequence[object]) -> None:
        relevant = [e for e in events if isinstance(e, _HANDLED)]
        if not relevant:
            return
        if len(relevant) > 1:
            try:
                self._remember(await self._db.write(self._write, relevant))
                return
            except Exception:
                log.warning("call log: a batch of %d events failed; writing them one at a time", len(relevant),
                            exc_info=True)
        failed = 0
        for event in relevant:
            try:
                self._remember(await self._db.write(self._write, [event]))
            except Exception:
                failed += 1
                log.exception("call log: %s of call %s not recorded", type(event).__name__,
                              clean(getattr(event, "call_id", ""), 120))
        if failed:
            log.error("call log: %d of %d events not recorded", failed, len(relevant))
            raise BatchPartlyFailed(failed, len(relevant))

    def _write(self, session: Session, events: Sequence[Any]) -> dict[str, _Row]:
        """One batch, in the transaction ``Database.write`` commits (synchronous: it runs in one go).
        Returns the rows written, for :meth:`_remember` once committed."""
        first: dict[str, Any] = {}
        for e in events:
            first.setdefault(e.call_id, e)
        conn = session.connection()
        rows = {cid: self._live[cid].copy() for cid in first if cid in self._live}
        # a call offered now is new (its row, if it had one, turns up as an INSERT conflict); read the others
        unknown = [cid for cid, e in first.items() if cid not in rows and not isinstance(e, CallOffered)]
        if unknown:
            rows.update(_load(conn, unknown))
        customers = self._customers(session, events)
        for event in events:
            self._apply(rows, event, customers)
        conflicted = _insert_new(conn, rows)
        if conflicted:  # offered again after a restart: its row exists; apply the batch's events to it
            for cid in conflicted:
                del rows[cid]
            rows.update(_load(conn, conflicted))
            for event in events:
                if event.call_id in conflicted:
                    self._apply(rows, event, customers)
        _update(conn, rows.values())
        _write_legs(conn, rows.values())
        return rows

    def _remember(self, rows: dict[str, _Row]) -> None:
        """Committed: keep the calls in progress in memory, forget the ended ones (a failed commit leaves
        the memory as it was; the batch is then written again event by event)."""
        for cid, row in rows.items():
            if row.ended:
                self._live.pop(cid, None)
            elif row.pk is not None and row.values["ended_at"] is None:
                row.dirty.clear()
                self._live[cid] = row
        while len(self._live) > MAX_LIVE:
            del self._live[next(iter(self._live))]

    def _customers(self, session: Session, events: Iterable[Any]) -> dict[str, list[int]]:
        """Customer ids for every caller number the batch may store (normalised once per number)."""
        numbers = {e.caller_num for e in events if isinstance(e, (CallOffered, CallerIdentified, CallEnded))}
        e164s = sorted({info.e164 for raw in numbers if (info := self._normalise(raw)).e164})
        if not e164s:
            return {}
        return dict(self._match(session, e164s))

    def _apply(self, rows: dict[str, _Row], event: Any, customers: dict[str, list[int]]) -> None:
        row = rows.get(event.call_id)
        if isinstance(event, CallOffered):
            if row is None:
                row = rows[event.call_id] = _new_row(event.call_id, event.direction, event.at, event.dnis,
                                                     event.action_id)
                self._set_caller(row, event.caller_num, event.caller_name, customers)
            return
        if row is None and isinstance(event, CallEnded):  # its CallOffered was never recorded
            row = rows[event.call_id] = _new_row(event.call_id, event.direction, event.offered_at, event.dnis,
                                                 event.action_id)
            self._set_caller(row, event.caller_num, event.caller_name, customers)
        if row is None:  # an event for a call we never saw offered (started before we connected)
            log.debug("no call row for %s on %s", event.call_id, type(event).__name__)
            return
        if isinstance(event, CallerIdentified):
            self._set_caller(row, event.caller_num, event.caller_name, customers)
        elif isinstance(event, CallQueued):
            row.set("queue", event.queue[:80])
        elif isinstance(event, CallAnswered):
            if row.values["answered_at"] is None:
                row.set("answered_at", from_timestamp(event.at))
                row.set("answered_by", event.interface[:120])
            row.set("queue", row.values["queue"] or event.queue[:80])
        elif isinstance(event, CallEnded):
            self._end(row, event, customers)

    def _set_caller(self, row: _Row, raw: str, name: str, customers: dict[str, list[int]]) -> None:
        e164 = self._normalise(raw).e164
        row.set("caller_raw", raw[:80])  # what the PBX sent, "<unknown>" included
        row.set("caller_name", "" if name.strip() in ("", "<unknown>") else name[:200])
        row.set("caller_e164", e164)
        ids = customers.get(e164, []) if e164 else []
        row.set("customer_id", ids[0] if len(ids) == 1 else None)  # shared number: the agent chooses

    def _end(self, row: _Row, ended: CallEnded, customers: dict[str, list[int]]) -> None:
        v = row.values
        if ended.caller_num and ended.caller_num != v["caller_raw"]:
            self._set_caller(row, ended.caller_num, ended.caller_name, customers)
        row.set("disposition", str(ended.disposition))
        row.set("ended_at", from_timestamp(ended.at))
        row.set("answered_at", v["answered_at"] or (from_timestamp(ended.answered_at) if ended.answered_at else None))
        row.set("wait_seconds", ended.wait_seconds)
        row.set("talk_seconds", ended.talk_seconds)
        row.set("answered_by", ended.answered_by[:120])
        row.set("last_agent", ended.last_agent[:120])
        row.set("queue", ended.queue[:80] or v["queue"])
        row.set("hangup_cause", ended.hangup_cause)
        row.set("action_id", ended.action_id[:120] or v["action_id"])
        row.legs = tuple(ended.agents)  # ended again in this batch: the last summary's legs win
        row.ended = True


def _new_row(call_id: str, direction: Any, at: float, dnis: str, action_id: str) -> _Row:
    values = dict.fromkeys(_COLUMNS)
    values.update(call_id=call_id, direction=str(direction), offered_at=from_timestamp(at), dnis=dnis[:40],
                  action_id=action_id[:120], caller_raw="", caller_name="", queue="", answered_by="", last_agent="")
    return _Row(values, None)


def _load(conn: Connection, call_ids: Sequence[str]) -> dict[str, _Row]:
    cols = [_CALLS.c.id, *(_CALLS.c[name] for name in _COLUMNS)]
    result = conn.execute(select(*cols).where(_CALLS.c.call_id.in_(call_ids)))
    return {m["call_id"]: _Row({k: m[k] for k in _COLUMNS}, m["id"]) for m in result.mappings()}


def _insert_new(conn: Connection, rows: dict[str, _Row]) -> list[str]:
    """INSERT the rows not stored yet; returns the call ids that turned out to have a row already."""
    new = [row for row in rows.values() if row.pk is None]
    if not new:
        return []
    make = _INSERTS.get(conn.dialect.name)
    if make is None:  # another backend: look first (no ON CONFLICT)
        known = set(conn.scalars(select(_CALLS.c.call_id).where(
            _CALLS.c.call_id.in_([r.values["call_id"] for r in new]))))
        new = [r for r in new if r.values["call_id"] not in known]
        stmt = insert(_CALLS)
    else:
        known = set()
        stmt = make(_CALLS).on_conflict_do_nothing(index_elements=[_CALLS.c.call_id])
    if new:
        result = conn.execute(stmt.returning(_CALLS.c.id, _CALLS.c.call_id), [r.values for r in new])
        pks = {call_id: pk for pk, call_id in result}
        for row in new:
            row.pk = pks.get(row.values["call_id"])
            row.dirty.clear()
        known.update(r.values["call_id"] for r in new if r.pk is None)
    return sorted(known)


def _update(conn: Connection, rows: Iterable[_Row]) -> None:
    """UPDATE the changed columns by primary key: one executemany per set of changed columns."""
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        if row.dirty:
            params = {f"p_{k}": row.values[k] for k in row.dirty}
            params["p_pk"] = row.pk
            groups.setdefault(frozenset(row.dirty), []).append(params)
    for keys, params in groups.items():
        stmt = update(_CALLS).where(_CALLS.c.id == bindparam("p_pk")).values(
            {k: bindparam(f"p_{k}") for k in sorted(keys)})
        conn.execute(stmt, params)


def _write_legs(conn: Connection, rows: Iterable[_Row]) -> None:
    """The legs of the calls ended in this batch; a call ended again has its old legs replaced."""
    ended = [row for row in rows if row.legs is not None]
    again = [row.pk for row in ended if row.had_end]
    if again:
        conn.execute(delete(_LEGS).where(_LEGS.c.call_pk.in_(again)))
    legs = [_leg_row(leg) | {"call_pk": row.pk} for row in ended for leg in row.legs]
    if legs:
        conn.execute(insert(_LEGS), legs)


def _leg_row(leg: Any) -> dict[str, Any]:
    return {
        "interface": leg.interface[:120],
        "member_name": leg.member_name[:120],
        "rang_at": from_timestamp(leg.rang_at),
        "outcome": str(leg.outcome),
        "ring_seconds": round(leg.ring_seconds, 1),
    }
