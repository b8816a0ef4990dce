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

from sqlalchemy import ColumnElement, func, literal_column, select, text
from sqlalchemy.orm import Session

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
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(_pg_term(t) for t in wanted)
        found = select(TicketSearch.ticket_id).where(
            func.to_tsvector(literal_column("'simple'"), TicketSearch.terms).op("@@")(
                func.to_tsquery(literal_column("'simple'"), tsquery)
            )
        )
    else:
        match = " ".join(_fts_term(t) for t in wanted)
        found = select(literal_column("rowid")).select_from(text("ticket_search_fts")).where(
            text("ticket_search_fts MATCH :match").bindparams(match=match)
        )
    return Ticket.id.in_(found)


def _fts_term(term: str) -> str:
    prefix = term.endswith("*")
    body = term.rstrip("*").replace('"', '""')
    return f'"{body}"*' if prefix else f'"{body}"'


def _pg_term(term: str) -> str:
    prefix = term.endswith("*")
    body = term.rstrip("*").replace("'", "''").replace("\\", "")
    return f"'{body}':*" if prefix else f"'{body}'"
