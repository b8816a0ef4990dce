"""Full-text search of tickets that works for Chinese on SQLite and PostgreSQL alike.

Chinese has no spaces between words, so neither SQLite's ``unicode61`` tokenizer
nor PostgreSQL's ``simple`` configuration can find 漏水 inside 洗衣机漏水严重. The
text is therefore stored prepared: every run of CJK characters becomes its
overlapping pairs (a lone character stays itself), other words are lower-cased.
A query is prepared the same way and all its terms must match, so any substring
of two or more characters is found (and a single character as a prefix), with
an index on both backends: FTS5 on SQLite, a GIN index on ``to_tsvector('simple', …)``
on PostgreSQL (migration 0003).

>>> terms("洗衣机漏水 E21 Error")
'洗衣 衣机 机漏 漏水 e21 error'
>>> query_terms("漏水 e21")
['漏水', 'e21']
>>> query_terms("水")
['水*']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, Select, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from cti.store.dialects import is_postgres
from cti.tickets.models import TicketSearch

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_IS_CJK = re.compile(rf"[{_CJK}]")
MAX_QUERY_TERMS = 16


def _pairs(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


def terms(*texts: str) -> str:
    """The searchable form of some texts (description, notes, number, model…)."""
    out: list[str] = []
    for text_ in texts:
        for token in _TOKEN.findall(text_ or ""):
            out.extend(_pairs(token) if _IS_CJK.match(token) else [token.lower()])
    return " ".join(out)


def query_terms(query: str) -> list[str]:
    """The terms a query must all match; a lone CJK character matches as a prefix (``水*``)."""
    out: list[str] = []
    for token in _TOKEN.findall(query or ""):
        if _IS_CJK.match(token):
            out.extend([token + "*"] if len(token) == 1 else _pairs(token))
        else:
            out.append(token.lower())
    return list(dict.fromkeys(out))[:MAX_QUERY_TERMS]


def matching_ids(session: Session, query: str) -> ColumnElement[bool] | None:
    """A condition on ``tickets.id`` for a query (None when the query has no searchable term)."""
    from cti.tickets.models import Ticket

    wanted = query_terms(query)
    if not wanted:
        return None
    if is_postgres(session):
        found = select(TicketSearch.ticket_id).where(_pg_match(wanted))
    else:
        match = " ".join(_fts_term(t) for t in wanted)
        found = select(literal_column("rowid")).select_from(text("ticket_search_fts")).where(
            text("ticket_search_fts MATCH :match").bindparams(match=match)
        )
    return Ticket.id.in_(found)


@dataclass(frozen=True)
class Restriction:
    """A text query as the ticket list applies it: ``apply`` narrows a ``SELECT … FROM tickets`` to the
    matches, ``newest`` orders them newest first in the order the index yields them.

    The search table is joined and its key (the ticket id: the order tickets were entered) is the order:
    SQLite's FTS5 yields its matches in that order and PostgreSQL can walk that key's index checking the
    stored document, so a page of a term that matches 100,000 tickets reads 50 of them, not all.
    """

    apply: Callable[[Select], Select]
    newest: ColumnElement
    common_first: Callable[[Session, Callable[[], Any]], Any] = lambda session, read: read()

    def page(self, session: Session, read: Callable[[], Any], *, common: bool) -> Any:
        """``read()`` the page; ``common`` (the count reached its cap) lets PostgreSQL walk the key."""
        return self.common_first(session, read) if common else read()


def restriction(session: Session, query: str) -> Restriction | None:
    """The list's form of a query (None when the query has no searchable term)."""
    from cti.tickets.models import Ticket

    wanted = query_terms(query)
    if not wanted:
        return None
    if is_postgres(session):
        match_pg = _pg_match(wanted)
        return Restriction(lambda stmt: stmt.join(TicketSearch, TicketSearch.ticket_id == Ticket.id).where(match_pg),
                           TicketSearch.ticket_id, _walking_the_key)
    fts = table("ticket_search_fts", column("rowid", Integer))
    match = text("ticket_search_fts MATCH :match").bindparams(match=" ".join(_fts_term(t) for t in wanted))
    return Restriction(lambda stmt: stmt.join(fts, fts.c.rowid == Ticket.id).where(match), fts.c.rowid)


def _fts_term(term: str) -> str:
    prefix = term.endswith("*")
    body = term.rstrip("*").replace('"', '""')
    return f'"{body}"*' if prefix else f'"{body}"'


def _walking_the_key(session: Session, read: Callable[[], Any]) -> Any:
    """PostgreSQL, a query whose matches are common: read its page walking the search table's key.

    The planner estimates an AND of CJK pairs as the product of their frequencies, but the pairs of one
    word come together (水温不稳定: 0.01 % estimated, 10 % found), so it reads every match through the
    GIN index and sorts them (1.4 s at a million tickets) rather than walk the key newest first and
    stop at the page (10 ms). The count has told us the query is common; the bitmap plan is set aside
    for this one statement.
    """
    session.execute(text("SET LOCAL enable_bitmapscan = off"))
    try:
        return read()
    finally:
        session.execute(text("SET LOCAL enable_bitmapscan = on"))


def _pg_match(wanted: list[str]) -> ColumnElement[bool]:
    """``document @@ to_tsquery(…)`` on PostgreSQL's stored ``tsvector`` (migration 0005), not in the model."""
    tsquery = " & ".join(_pg_term(t) for t in wanted)
    return literal_column("ticket_search.document").op("@@")(func.to_tsquery(literal_column("'simple'"), tsquery))


def _pg_term(term: str) -> str:
    prefix = term.endswith("*")
    body = term.rstrip("*").replace("'", "''").replace("\\", "")
    return f"'{body}':*" if prefix else f"'{body}'"
