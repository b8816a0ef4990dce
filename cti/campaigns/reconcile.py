"""Reconciling attempts whose outcome the service may have missed: never dialling them again.

An attempt is open while ``claimed`` (its Originate may or may not have left) or ``dialled`` (the
PBX took it). Its outcome normally lands from the tracker's events (:mod:`cti.campaigns.dialer`).
Events are missed when the process that claimed it died (SIGKILL between the Originate and its
response, a crash, a power cut) or when our PBX connection dropped while the call went on. Those
attempts are *candidates* here:

* claimed by a process that is gone (same host, its pid no longer runs), or claimed by anyone more
  than :data:`STALE_AFTER` ago (a process on another host we cannot see);
* ours, claimed before our current PBX login (the connection dropped since: events may be lost; the
  login is noticed within a round, and what was claimed in that round is looked at too: harmless,
  a call still live or logged is judged by what the PBX and the call log say).

Each candidate is settled from what the PBX and our tables know, in this order:

1. a live channel carrying the attempt's ActionID (AMI ``Status`` with ``Variables``): ``Up`` means
   the customer answered (``answered``); still ringing: left open, looked at again next round;
2. the call log (``calls.action_id``, written from the tracker's events): its ending says answered
   or not; a call still in progress there is left open;
3. nothing anywhere: the truth cannot be known (it may have rung, or been answered and ended while we
   were away) — the attempt becomes ``unknown`` for a person to decide. It is never dialled again by
   itself.

When the PBX cannot be asked (no connection, the probe fails), nothing is decided.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.calls.models import Call
from cti.campaigns.claims import CLAIMER
from cti.campaigns.models import IS_BUSY, CampaignAttempt
from cti.campaigns.policy import NO_ANSWER, UNKNOWN

log = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(minutes=10)  # an attempt of a process we cannot see is looked at after this
SETTLE_AFTER = dt.timedelta(seconds=15)  # never before: an Originate just sent may not have a channel yet
RECONCILE_SECONDS = 10.0
ANSWERED = "answered"


@dataclass(frozen=True, slots=True)
class LiveChannel:
    """A channel the PBX has now that carries one of our attempts' ActionIDs."""

    action_id: str
    channel: str
    up: bool  # ChannelState 6: the customer (or, in preview, the agent) answered
    call_id: str  # its Linkedid: the call's id in our call log


Probe = Callable[[], Awaitable[Mapping[str, LiveChannel]]]  # action_id → live channel; raises if unreachable
Land = Callable[..., Awaitable[Any]]  # the dialer's land(action_id, outcome, **extra)
Link = Callable[[], object | None]  # our PBX login now (a token that changes with each login); None: not synced


@dataclass(frozen=True, slots=True)
class Candidate:
    action_id: str
    state: str
    claimed_at: dt.datetime
    claimed_by: str


def claimer_gone(claimer: str, *, host: str | None = None) -> bool:
    """True when ``host:pid`` names a process on this host that no longer runs."""
    name, _, pid = claimer.rpartition(":")
    if name != (host or socket.gethostname()) or not pid.isdigit() or int(pid) == os.getpid():
        return False  # another host (or a name too long to keep whole: it cannot be told), or ourselves
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def open_attempts(session: Session, before: dt.datetime) -> list[Candidate]:
    """Every open attempt claimed before ``before`` (the young ones are still on their way)."""
    rows = session.execute(select(CampaignAttempt.action_id, CampaignAttempt.state, CampaignAttempt.claimed_at,
                                  CampaignAttempt.claimed_by)
                           .where(IS_BUSY, CampaignAttempt.claimed_at < before)
                           .order_by(CampaignAttempt.id))
    return [Candidate(*row) for row in rows]


def logged_calls(session: Session, action_ids: list[str]) -> dict[str, tuple[str | None, bool, str]]:
    """The call log's word on these attempts: action_id → (disposition or None while in progress,
    answered, call id)."""
    if not action_ids:
        return {}
    rows = session.execute(select(Call.action_id, Call.disposition, Call.answered_at, Call.call_id)
                           .where(Call.action_id.in_(action_ids)))
    return {r.action_id: (r.disposition, r.answered_at is not None, r.call_id) for r in rows}


def choose(candidates: list[Candidate], *, now: dt.datetime, me: str, login_since: dt.datetime | None,
           gone: Callable[[str], bool] = claimer_gone) -> list[Candidate]:
    """The candidates to settle now (see the module's docstring)."""
    chosen = []
    for c in candidates:
        if now - c.claimed_at < SETTLE_AFTER:
            continue
        if c.claimed_by == me:
            if login_since is not None and c.claimed_at < login_since:
                chosen.append(c)  # ours, from before the connection we have now
        elif now - c.claimed_at >= STALE_AFTER or gone(c.claimed_by):
            chosen.append(c)
    return chosen


def verdict(candidate: Candidate, live: Mapping[str, LiveChannel],
            logged: Mapping[str, tuple[str | None, bool, str]]) -> tuple[str, str] | None:
    """(outcome, call id) to land, or None to leave the attempt open for now."""
    channel = live.get(candidate.action_id)
    if channel is not None:
        return (ANSWERED, channel.call_id) if channel.up and candidate.state != "reported" else None
    if candidate.state == "reported":
        return ANSWERED, ""  # its outcome is known and its call is over: the line is free (the outcome stays)
    if candidate.action_id in logged:
        disposition, answered, call_id = logged[candidate.action_id]
        if disposition is None:
            return None  # the call log has it in progress: its end will land it
        return (ANSWERED if answered else NO_ANSWER), call_id
    return UNKNOWN, ""


class Reconciler:
    """A scheduler job (every :data:`RECONCILE_SECONDS`, and once the PBX link is up after a start)."""

    def __init__(self, db: Any, probe: Probe, land: Land, *, link: Link, clock: Callable[[], dt.datetime],
                 me: str = CLAIMER) -> None:
        self._db = db
        self._probe = probe
        self._land = land
        self._link = link
        self._clock = clock
        self._me = me
        self._login: object | None = None
        self._login_since: dt.datetime | None = None  # when this reconciler first saw our current login
        self.settled: dict[str, int] = {}

    async def run(self) -> int:
        """Settle what can be settled now; returns how many attempts were landed."""
        login = self._link()
        if login is None:
            return 0  # the PBX cannot be asked: decide nothing
        now = self._clock()
        if login != self._login:  # a new login: what we placed before it may have lost its events
            self._login, self._login_since = login, now
        candidates = choose(await self._db.read(open_attempts, now - SETTLE_AFTER), now=now, me=self._me,
                            login_since=self._login_since)
        if not candidates:
            return 0
        try:
            live = await self._probe()
        except Exception as exc:  # noqa: BLE001 - no answer from the PBX is not "no channel"
            log.warning("campaigns: could not ask the PBX for live calls (%s); reconciling later", exc)
            return 0
        logged = await self._db.read(logged_calls, [c.action_id for c in candidates if c.action_id not in live])
        landed = 0
        for candidate in candidates:
            decided = verdict(candidate, live, logged)
            if decided is None:
                continue
            outcome, call_id = decided
            if await self._land(candidate.action_id, outcome, call_id=call_id) is not None:
                landed += 1
                self.settled[outcome] = self.settled.get(outcome, 0) + 1
                log.warning("campaigns: attempt %s (claimed by %s, %s) reconciled as %s", candidate.action_id,
                            candidate.claimed_by, candidate.state, outcome)
        return landed


def live_channels(items: list[Mapping[str, str]], variable: str) -> dict[str, LiveChannel]:
    """AMI ``Status`` items (asked with ``Variables: <variable>``) → our attempts' live channels.

    Asterisk prints a variable the channel lacks as ``NAME=(null)`` (a NULL through ``%s``) or empty.
    """
    found: dict[str, LiveChannel] = {}
    prefix = f"{variable}="
    for item in items:
        value = next((v[len(prefix):] for v in _variables(item) if v.startswith(prefix)), "")
        if not value or value == "(null)":
            continue
        found[value] = LiveChannel(value, item.get("Channel", ""), item.get("ChannelState") == "6",
                                   item.get("Linkedid") or item.get("Uniqueid", ""))
    return found


def _variables(item: Mapping[str, Any]) -> list[str]:
    value = item.get("Variable", "")
    return list(value) if isinstance(value, (list, tuple)) else [value]
