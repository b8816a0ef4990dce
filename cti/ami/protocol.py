"""One AMI connection on the wire: panoramisk's ``AMIProtocol`` with our byte framing and action bookkeeping.

panoramisk 1.4 stays the AMI client library (its protocol class, its
``Action`` objects with their ActionID generator and future), but three of its
behaviours are replaced here, because they lose or duplicate data:

* **Framing.** ``AMIProtocol.data_received`` decodes every TCP read on its own
  with ``errors="ignore"``, so a caller name split between two reads loses
  its bytes. :meth:`AmiProtocol.data_received` feeds the raw bytes to
  :class:`cti.ami.framing.AmiFramer`, which frames on ``\\r\\n\\r\\n`` first and
  decodes whole frames; a partial frame larger than the cap aborts the
  connection (the bridge reconnects and resyncs). panoramisk's own parser is
  never on the path.
* **Events.** panoramisk dispatches events to pattern callbacks (a raising sync
  callback kills the connection, coroutines are fired and forgotten). Here every
  event goes to one synchronous ``sink`` that only enqueues it; nothing else
  runs inside ``data_received``. ``RTCPSent``/``RTCPReceived`` (media reports,
  no call state) are dropped before that, and the events named in ``skip_events``
  (the tracker's ``IGNORED_EVENTS``) are skipped by the framer before being decoded.
* **Pending actions.** ``AMIProtocol.close()`` moves every unanswered action to
  the manager's ``awaiting_actions``, which ``Manager`` re-sends after the next
  login (on ``FullyBooted``): an Originate could be dialled twice, minutes late.
  This class overrides ``close()``/``connection_lost()``: an unanswered action
  fails with :class:`AmiDisconnected` and is forgotten; no ``Manager`` (hence
  no ``awaiting_actions``, no ``FullyBooted`` handler) exists at all.

Every action is encoded by :func:`cti.ami.framing.encode_action`, which refuses
CR, LF and control characters (``ValueError`` naming the field) before
anything is written, and every wait for an answer has a timeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol

from cti.ami.framing import AmiFramer, FrameTooLarge, encode_action
from cti.logs import clean

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 1 << 20
DROPPED_EVENTS = frozenset({"RTCPSent", "RTCPReceived"})
_OK = ("Success", "Follows", "Goodbye")
class AmiError(Exception):
    """Something went wrong talking to the PBX; the message says what, in one line."""


class AmiNotConnected(AmiError):
    """No logged-in AMI connection right now: the action was not sent."""


class AmiDisconnected(AmiError):
    """The connection was lost before the PBX answered; the action is *not* re-sent."""


class AmiTimeout(AmiError, TimeoutError):
    """The PBX did not answer an action within the timeout."""


class AmiActionError(AmiError):
    """The PBX refused an action (``Response: Error``)."""


class LoginFailed(AmiError):
    """The PBX refused the Login (wrong username or secret, or not allowed from this address)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """The PBX's answer to one action: the ``Response`` message and, for list actions, the items."""

    response: dict[str, str]
    items: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.response.get("Response") in _OK

    @property
    def message(self) -> str:
        return self.response.get("Message", "")


class AmiProtocol(AMIProtocol):
    """One TCP connection. ``sink(msg)`` receives every event in arrival order (it must not raise or block).

    ``lost`` resolves (to a one-line reason) when the connection is gone.
    """

    def __init__(
        self,
        sink: Callable[[dict[str, str]], None],
        *,
        max_frame_bytes: int = MAX_FRAME_BYTES,
        skip_events: frozenset[str] = frozenset(),
        skip_unless: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._sink = sink
        self.transport: asyncio.Transport | None = None
        self.framer = AmiFramer(max_frame_bytes, skip_events=skip_events, skip_unless=skip_unless)
        self.lost: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.closed = True  # until connection_made
        self.responses: dict[str, Action] = {}
        self.reason = ""  # why we closed it ourselves (watchdog, oversized frame, ...)
        self.events = 0
        self.dropped = 0  # RTCP reports
        self.stray = 0  # responses/list items for no pending action (e.g. after a timeout)

    @property
    def skipped(self) -> int:
        """Events never handed to the sink as noise: skipped by the framer or dropped (RTCP)."""
        return self.framer.skipped + self.dropped

    # -- asyncio.Protocol -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # sets transport, closed=False, an empty panoramisk state
        self.responses = {}
        self.factory = None  # no panoramisk Manager: nothing to re-send actions through
        self.log = log

    def data_received(self, data: bytes) -> None:
        try:
            messages = self.framer.feed(data)
        except FrameTooLarge as exc:
            for msg in exc.messages:
                self._route(msg)
            self.abort(f"frame too large ({exc.size} bytes without terminator, limit {exc.limit})")
            return
        route = self._route
        for msg in messages:
            if self.closed:
                return
            route(msg)

    def eof_received(self) -> bool:
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        reason = self.reason or (f"connection lost: {clean(exc)}" if exc else "connection closed by the PBX")
        failure = AmiDisconnected(f"{reason}; the action was not re-sent")
        pending, self.responses = self.responses, {}
        for action in pending.values():
            if not action.future.done():
                action.future.set_exception(failure)
        if not self.lost.done():
            self.lost.set_result(reason)

    # -- panoramisk's AMIProtocol API, made safe ---------------------------------------------------

    def close(self) -> None:
        """Close gracefully. Unlike panoramisk, never queues unanswered actions for re-sending."""
        if not self.closed:
            self.closed = True
            self.transport.close()

    def abort(self, reason: str) -> None:
        """Drop the connection at once (black-holed PBX, oversized frame): no graceful close."""
        if not self.reason:
            self.reason = reason
        if self.transport is not None and not self.transport.is_closing():
            self.closed = True
            self.transport.abort()

    def send(self, data: Any, as_list: bool = False) -> asyncio.Future[Any]:  # pragma: no cover - guard
        raise NotImplementedError("use request(): it validates, times out and is never re-sent")

    def handle_message(self, message: Any) -> None:  # pragma: no cover - guard
        raise NotImplementedError("messages are routed by _route()")

    # -- actions -----------------------------------------------------------------------------------

    async def request(
        self,
        fields: Mapping[str, Any],
        *,
        timeout: float,
        as_list: bool = False,
        on_complete: Callable[[Reply], None] | None = None,
        to_stream: bool = False,
    ) -> Reply:
        """Send one action and wait (at most ``timeout`` s) for its answer.

        ``as_list``: the answer is ``EventList: start`` + items + ``…Complete``.
        ``to_stream``: a refusal (``Response: Error``) also goes to the event sink, in
        order: a refused Originate is a call outcome the tracker reports.
        ``on_complete`` runs synchronously when the answer completes, before any
        later message of the stream is routed (used to place the resync marker).
        Raises ``ValueError`` (unsafe value, nothing written), :class:`AmiNotConnected`,
        :class:`AmiTimeout` or :class:`AmiDisconnected`.
        """
        payload = dict(fields)
        action_id = str(payload.get("ActionID") or Action.action_id_generator())
        payload["ActionID"] = action_id
        data = encode_action(payload)  # ValueError naming the field; nothing written yet
        name = payload.get("Action", "?")
        if self.closed or self.transport is None or self.transport.is_closing():
            raise AmiNotConnected(f"AMI {name}: not connected to the PBX")
        if action_id in self.responses:
            raise ValueError(f"AMI {name}: ActionID {action_id!r} is already pending")
        action = Action(payload, as_list=as_list)
        action.list_items = []
        action.on_complete = on_complete
        action.to_stream = to_stream
        self.responses[action_id] = action
        self.transport.write(data)
        try:
            return await asyncio.wait_for(action.future, timeout)
        except TimeoutError:
            raise AmiTimeout(
                f"AMI {name} (ActionID {clean(action_id)}) got no answer from the PBX within {timeout:g}s"
            ) from None
        finally:
            if self.responses.get(action_id) is action:
                del self.responses[action_id]

    def _route(self, msg: dict[str, str]) -> None:
        try:
            action_id = msg.get("ActionID", "")
            event = msg.get("Event")
            if event is None:  # an action's response (events may carry Response too: OriginateResponse)
                self._response(msg, action_id)
                return
            if event in DROPPED_EVENTS:
                self.dropped += 1
                return
            if action_id and event != "OriginateResponse":
                # A list item (CoreShowChannel, QueueMember, ...) or its ...Complete: an answer, not call state.
                action = self.responses.get(action_id)
                if action is None or not action.as_list or not action.responses:
                    self.stray += 1
                elif event.endswith("Complete"):
                    self._complete(action)
                else:
                    action.list_items.append(msg)
                return
            self.events += 1
            self._sink(msg)
        except Exception:  # never let a bad message close the connection
            log.exception("AMI message dropped: %s", clean(msg.get("Event") or msg.get("Response")))

    def _response(self, msg: dict[str, str], action_id: str) -> None:
        action = self.responses.get(action_id) if action_id else None
        if action is None or "Response" not in msg:
            self.stray += 1
            return
        action.responses.append(msg)
        ok = msg["Response"] in _OK
        if action.to_stream and not ok:
            self._sink(msg)
        listing = msg.get("EventList", "").lower() == "start" or "will follow" in msg.get("Message", "")
        if not (action.as_list and listing and ok):
            self._complete(action)

    def _complete(self, action: Action) -> None:
        self.responses.pop(action.action_id, None)
        reply = Reply(action.responses[0], action.list_items)
        if action.on_complete is not None:
            try:
                action.on_complete(reply)
            except Exception:
                log.exception("AMI completion hook failed")
        if not action.future.done():
            action.future.set_result(reply)
