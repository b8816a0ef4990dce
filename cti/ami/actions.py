"""Typed AMI actions: the small gateway the rest of the service uses to act on the PBX.

Every method validates its values (no CR, LF or control character may reach
the wire, and no character Asterisk would read as syntax in an Originate
``Variable``: ``ValueError`` naming the field, before anything is written), sends
one action on the current logged-in connection and waits for the answer at
most ``ami_action_timeout`` seconds. Errors are :class:`AmiError` subclasses
with a one-line message:

* :class:`AmiNotConnected` - no logged-in connection; nothing was sent.
* :class:`AmiTimeout` - sent, no answer in time (it may still have run).
* :class:`AmiDisconnected` - sent, the connection dropped before the answer. Never re-sent.
* :class:`AmiActionError` - the PBX answered ``Response: Error``.

No action is ever re-sent after a reconnect (panoramisk would; see
:mod:`cti.ami.protocol`). Originate in particular is fire-and-forget: it always
carries ``Async: true``, its outcome arrives later as tracker events
(``CallOffered``/``CallEnded`` or ``OriginateFailed`` carrying the ActionID),
and a caller that got an error must reconcile by its ActionID before trying
again, never blindly retry.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cti.ami.protocol import (
    AmiActionError,
    AmiDisconnected,
    AmiError,
    AmiNotConnected,
    AmiTimeout,
    LoginFailed,
    Reply,
)

__all__ = [
    "ActionResult",
    "AmiActionError",
    "AmiDisconnected",
    "AmiError",
    "AmiGateway",
    "AmiNotConnected",
    "AmiTimeout",
    "LoginFailed",
    "check_value",
    "check_variable",
]

Send = Callable[..., Awaitable[Reply]]  # (fields, *, as_list=False, to_stream=False) -> Reply

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_()]{0,79}$")
# What Asterisk interprets in a "Variable:" header value (see check_variable).
VARIABLE_SYNTAX = ',"\\()[]'


def check_value(field: str, value: Any) -> str:
    """``value`` as a string, or ``ValueError`` naming ``field`` when it could inject AMI headers.

    >>> check_value("CallerID", 'Zhang San <13800138000>')
    'Zhang San <13800138000>'
    >>> check_value("CallerID", "x\\r\\nAction: Hangup")
    Traceback (most recent call last):
    ...
    ValueError: AMI field 'CallerID' contains CR, LF or a control character
    """
    text = str(value)
    if _CONTROL.search(text):
        raise ValueError(f"AMI field {field!r} contains CR, LF or a control character")
    return text


def check_variable(name: str, value: Any) -> str:
    """``value`` of the Originate channel variable ``name`` as a string, or ``ValueError``.

    Besides CR, LF and control characters (:func:`check_value`), refuses every
    character Asterisk would read as syntax, because the variable would not
    arrive as given. Asterisk parses a ``Variable:`` header in
    ``main/manager.c`` ``man_do_variable_value()`` with ``AST_STANDARD_APP_ARGS``,
    i.e. ``main/app.c`` ``__ast_app_separate_args(value, ',', remove_chars=1)``:

    * ``,`` ends the variable: the rest becomes one more ``NAME=value`` (or is dropped);
    * ``"`` is removed and toggles quoting (commas inside are kept);
    * ``\\`` is removed and the next character taken literally;
    * ``(`` ``)`` and ``[`` ``]`` nest: a comma inside them does not split.

    Brackets alone reach the channel unchanged, but they are refused too: the
    dialplan splits its application arguments with the same function after
    substituting ``${VAR}`` (``ExecIf(…?Set(CALLERID(name)=${CB_NAME}))``), so
    an unbalanced one changes what the dialplan runs. ``=`` is allowed (the name
    ends at the first one), and so is any other printable text: UTF-8 names, ``<>``, ``'``.

    Outside data (a customer's name, a campaign's note) that may contain these
    characters must be encoded, e.g. base64 (``A-Za-z0-9+/=``), and decoded in
    the dialplan with ``${BASE64_DECODE(${NOTE})}``.

    >>> check_variable("CB_NAME", "Zhang San <VIP>")
    'Zhang San <VIP>'
    >>> check_variable("CB_NAME", "Zhang, San")
    Traceback (most recent call last):
    ...
    ValueError: AMI Originate variable 'CB_NAME' contains ',', which Asterisk reads as syntax ...
    """
    text = check_value(f"Variable {name}", value)
    for char in text:
        if char in VARIABLE_SYNTAX:
            raise ValueError(f"AMI Originate variable {name!r} contains {char!r}, which Asterisk reads as syntax "
                             f"in a Variable header (refused: {' '.join(VARIABLE_SYNTAX)})")
    return text


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The PBX's answer to a simple action: ``ok`` is False on ``Response: Error``."""

    ok: bool
    message: str
    fields: Mapping[str, str]

    @classmethod
    def of(cls, reply: Reply) -> ActionResult:
        return cls(reply.ok, reply.message, dict(reply.response))


class AmiGateway:
    """Typed actions over the bridge's current connection (``send`` is the bridge's request function)."""

    def __init__(self, send: Send, *, action_id_var: str = "CTI_ACTION_ID") -> None:
        self._send = send
        self.action_id_var = action_id_var

    async def originate(
        self,
        *,
        channel: str,
        context: str,
        exten: str,
        priority: int = 1,
        caller_id: str = "",
        variables: Mapping[str, str] | None = None,
        timeout_ms: int = 30000,
        action_id: str,
    ) -> None:
        """Queue an outbound call (``Async: true``); returns once the PBX accepted it.

        The result arrives as tracker events with this ``action_id``
        (OriginateFailed, CallEnded, and every event after the
        ``OriginateResponse``). The ActionID is also set as the channel
        variable ``CTI_ACTION_ID`` (the tracker's ``action_id_var``): ``Status``
        finds the call by it, and an AMI user that reads ``dialplan`` (VarSet)
        even gets it in the ``CallOffered`` that comes before the response; the
        documented least-privilege user (asterisk-dev/manager.conf) does not.
        Put the attempt id in it.
        """
        if not action_id:
            raise ValueError("AMI field 'ActionID' is required for Originate (it carries the attempt id)")
        fields: dict[str, Any] = {
            "Action": "Originate",
            "ActionID": check_value("ActionID", action_id),
            "Channel": check_value("Channel", channel),
            "Context": check_value("Context", context),
            "Exten": check_value("Exten", exten),
            "Priority": str(int(priority)),
            "Timeout": str(int(timeout_ms)),
            "Async": "true",
        }
        if caller_id:
            fields["CallerID"] = check_value("CallerID", caller_id)
        variables = {self.action_id_var: action_id, **(variables or {})}
        if variables:
            pairs = []
            for name, value in variables.items():
                if not _VARIABLE.match(str(name)):
                    raise ValueError(f"AMI field 'Variable' has an invalid name {str(name)[:40]!r}")
                pairs.append(f"{name}={check_variable(name, value)}")
            fields["Variable"] = pairs
        reply = await self._send(fields, to_stream=True)
        if not reply.ok:  # the tracker also reports it (OriginateFailed with this ActionID)
            raise AmiActionError(f"AMI Originate {action_id} refused: {reply.message or 'error'}")

    async def queue_pause(self, *, queue: str | None, interface: str, paused: bool, reason: str = "") -> ActionResult:
        """Pause or unpause a member in one queue, or in every queue when ``queue`` is None."""
        fields = {"Action": "QueuePause", "Interface": check_value("Interface", interface),
                  "Paused": "true" if paused else "false"}
        if queue:
            fields["Queue"] = check_value("Queue", queue)
        if reason:
            fields["Reason"] = check_value("Reason", reason)
        return ActionResult.of(await self._send(fields))

    async def queue_add(
        self,
        *,
        queue: str,
        interface: str,
        member_name: str = "",
        penalty: int = 0,
        paused: bool = False,
        reason: str = "",
        state_interface: str = "",
    ) -> ActionResult:
        fields = {"Action": "QueueAdd", "Queue": check_value("Queue", queue),
                  "Interface": check_value("Interface", interface), "Penalty": str(int(penalty)),
                  "Paused": "true" if paused else "false"}
        if member_name:
            fields["MemberName"] = check_value("MemberName", member_name)
        if reason:
            fields["Reason"] = check_value("Reason", reason)
        if state_interface:
            fields["StateInterface"] = check_value("StateInterface", state_interface)
        return ActionResult.of(await self._send(fields))

    async def queue_remove(self, *, queue: str, interface: str) -> ActionResult:
        fields = {"Action": "QueueRemove", "Queue": check_value("Queue", queue),
                  "Interface": check_value("Interface", interface)}
        return ActionResult.of(await self._send(fields))

    async def hangup(self, channel: str, cause: int = 16) -> ActionResult:
        fields = {"Action": "Hangup", "Channel": check_value("Channel", channel), "Cause": str(int(cause))}
        return ActionResult.of(await self._send(fields))

    async def queue_status(self, queue: str | None = None) -> list[dict[str, str]]:
        """``QueueParams``/``QueueMember``/``QueueEntry`` items, as sent by the PBX."""
        fields = {"Action": "QueueStatus"}
        if queue:
            fields["Queue"] = check_value("Queue", queue)
        return await self._list(fields)

    async def status(self, queue: str | None = None) -> list[dict[str, str]]:
        """Same as :meth:`queue_status` (the gateway's ``status`` in DESIGN.md is the queues' status)."""
        return await self.queue_status(queue)

    async def channel_status(self, channel: str | None = None, *, variables: Sequence[str] = ()) -> list[dict[str, str]]:
        """AMI ``Status``: one ``Status`` item per channel (or the one named), each with a
        ``Variable: NAME=value`` line per name in ``variables`` (``NAME=(null)`` when unset)."""
        fields = {"Action": "Status"}
        if channel:
            fields["Channel"] = check_value("Channel", channel)
        if variables:
            for name in variables:
                if not _VARIABLE.match(name):
                    raise ValueError(f"AMI field 'Variables' has an invalid name {name[:40]!r}")
            fields["Variables"] = ",".join(variables)
        return await self._list(fields)

    async def core_show_channels(self) -> list[dict[str, str]]:
        return await self._list({"Action": "CoreShowChannels"})

    async def ping(self) -> float:
        """Round trip of one Ping, in seconds."""
        started = time.perf_counter()
        reply = await self._send({"Action": "Ping"})
        if not reply.ok:
            raise AmiActionError(f"AMI Ping refused: {reply.message or 'error'}")
        return time.perf_counter() - started

    async def _list(self, fields: dict[str, str]) -> list[dict[str, str]]:
        reply = await self._send(fields, as_list=True)
        if not reply.ok:
            raise AmiActionError(f"AMI {fields['Action']} refused: {reply.message or 'error'}")
        return reply.items
