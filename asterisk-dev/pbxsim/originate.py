"""``Originate`` to the trunk: dial a customer, then run ``callback``, ``survey`` or a ``hotline-*`` context.

Orders follow sip_originate_failed (busy, congestion, no answer, rejected,
unallocated, unknown endpoint, synchronous failure), sip_callback_answered
and sip_survey_rated / sip_survey_no_input. The number dialled decides what
happens (``SimConfig.numbers``; unknown numbers answer after 2 s).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import events as ev
from .call import CallBase, Command
from .dialplans import DialplanMixin
from .hotline import HotlineMixin
from .model import Channel
from .queuecall import CallScript, QueueCall
from .protocol import Action

# outcome: (Hangup cause, SIP status, DialStatus, OriginateResponse Reason, order of events)
FAILURES = {
    "busy": (17, 486, "BUSY", 0, "HR DB DE OR HANG"),
    "congestion": (34, 503, "CONGESTION", 0, "DB HR DE OR HANG"),
    "rejected": (21, 403, "NOANSWER", 0, "DB HR DE OR HANG"),
    "unallocated": (1, 404, "NOANSWER", 0, "DB HR DE HANG OR"),
}
SYNC_FAILURE = "DB HR DE HANG"  # a synchronous Originate (no OriginateResponse)
TRUE_VALUES = {"yes", "true", "y", "t", "1", "on"}


@dataclass
class OriginateRequest:
    """The fields of an Originate action that the simulator honours."""

    channel: str
    context: str = ""
    exten: str = ""
    priority: int = 1
    cid_num: str = ""
    cid_name: str = ""
    variables: list[tuple[str, str]] = field(default_factory=list)
    timeout: float = 30.0  # seconds
    is_async: bool = False
    action_id: str | None = None

    @property
    def tech_resource(self) -> tuple[str, str, str]:
        """``PJSIP/+86…@carrier`` -> (tech, number, endpoint); ``PJSIP/1001`` -> (tech, '', '1001')."""
        tech, _, resource = self.channel.partition("/")
        number, at, endpoint = resource.partition("@")
        return (tech, number, endpoint) if at else (tech, "", resource)

    def variable(self, name: str) -> str:
        for key, value in self.variables:
            if key == name:
                return value
        return ""


def parse_callerid(text: str) -> tuple[str, str]:
    """``"Customer Care" <4008001234>`` -> ('4008001234', 'Customer Care')."""
    text = text.strip()
    match = re.match(r'^\s*(?:"(?P<q>[^"]*)"|(?P<n>[^<]*?))\s*<(?P<num>[^>]*)>\s*$', text)
    if match:
        name = match.group("q") if match.group("q") is not None else match.group("n")
        return match.group("num").strip(), name.strip()
    return (text, "") if re.fullmatch(r"[+0-9*#]+", text) else ("", text)


def parse_originate(action: Action) -> OriginateRequest | str:
    """The request, or the error message Asterisk answers with."""
    channel = action.get("Channel")
    if not channel:
        return "Channel not specified"
    if "/" not in channel:
        return "Invalid channel"
    try:
        priority = int(action.get("Priority") or "1")
    except ValueError:
        return "Invalid priority"
    try:
        timeout = int(action.get("Timeout") or "30000") / 1000.0
    except ValueError:
        return "Invalid timeout"
    variables: list[tuple[str, str]] = []
    for header in action.get_all("Variable"):
        for item in header.split(","):
            name, sep, value = item.partition("=")
            if sep and name.strip():
                variables.append((name.strip(), value))
    cid_num, cid_name = parse_callerid(action.get("CallerID")) if action.get("CallerID") else ("", "")
    return OriginateRequest(channel=channel, context=action.get("Context"), exten=action.get("Exten"),
                            priority=priority, cid_num=cid_num, cid_name=cid_name, variables=variables,
                            timeout=timeout, is_async=action.get("Async").lower() in TRUE_VALUES,
                            action_id=action.action_id)



def open_originate_leg(call: CallBase, resource: str, context: str) -> Channel:
    """The first leg of an Originate as Asterisk shows it: Newchannel, AppDial2, the request's variables
    (reversed), its caller ID (``call.request``: an :class:`OriginateRequest`)."""
    req = call.request
    ch = call.new_channel(resource, context=context, exten="s")
    call.emit("Newchannel", ev.snapshot(ch))
    call.newexten(ch, 1, "AppDial2", "(Outgoing Line)")
    for name, value in reversed(req.variables):
        call.var(ch, name, value)
    if req.cid_num or req.cid_name:
        ch.cid_num, ch.cid_name = req.cid_num, req.cid_name
        call.emit("NewCallerid", ev.snapshot(ch) + [("CID-CallingPres", ev.CALLING_PRES)])
        ch.cl_num, ch.cl_name = req.cid_num, req.cid_name
        call.emit("NewConnectedLine", ev.snapshot(ch))
    return ch


class OriginateCall(HotlineMixin, DialplanMixin, QueueCall):
    """An originated trunk leg; once answered it runs its context's dialplan."""

    kind = "originate"

    def __init__(self, pbx, request: OriginateRequest, reply: Callable[[bool], None] | None = None,
                 script: CallScript | None = None) -> None:
        _, number, _ = request.tech_resource
        self.request = request
        self.behavior = pbx.config.behavior(number)
        script = script or CallScript(caller=number, name=request.variable("CB_NAME"), talk=self.behavior.talk)
        script.style = script.style or "callback"
        super().__init__(pbx, script)
        self.number = number
        self.reply = reply  # synchronous Originate: the action response, written at the outcome
        self.lag = self.behavior.response_lag
        self.result.update(kind="originate", number=number, action_id=request.action_id)

    def known_endpoint(self) -> bool:
        tech, number, endpoint = self.request.tech_resource
        return tech.upper() == "PJSIP" and bool(number) and endpoint == self.pbx.config.trunk

    async def run(self) -> None:
        if not self.known_endpoint():
            self._respond(False)
            self._originate_response(False, 0)
            self.result["outcome"] = "failed"
            return
        outcome = self.behavior.outcome
        if outcome in FAILURES and self.reply is not None:
            self._respond(False)
        self.dial_out()
        if outcome in FAILURES:
            return self._fail(outcome)
        self.emit("DialBegin", self._dest([("DialString", self._dial_string())]))
        self.newstate(self.caller, 5)
        ringing_late = self.lag > 0 or outcome == "noanswer"  # the order recorded for these
        if not ringing_late:
            self.pbx.check_device(self.pbx.trunk_device())
        self.emit("DialState", self._dest([("DialStatus", "RINGING")]))
        if ringing_late:
            self.pbx.check_device(self.pbx.trunk_device())
        if outcome == "noanswer" or self.behavior.answer_after >= self.request.timeout:
            return await self._no_answer()
        got = await self.sleep(self.behavior.answer_after)
        if isinstance(got, Command):
            return self._cancelled()
        await self._answered()

    # -- building blocks -------------------------------------------------------------
    def _dial_string(self) -> str:
        _, number, endpoint = self.request.tech_resource
        return f"{number}@{endpoint}"

    def _dest(self, extra: ev.Fields) -> ev.Fields:
        return ev.dial(None, self.caller, extra)

    def dial_out(self) -> None:
        open_originate_leg(self, self.pbx.config.trunk, "from-carrier")

    def _fail(self, outcome: str) -> None:
        cause, sip, dial_status, reason, order = FAILURES[outcome]
        if not self.request.is_async:
            order = SYNC_FAILURE
        self.result.update(outcome="failed", cause=cause)
        for step in order.split():
            if step == "HR":
                self.emit("HangupRequest", ev.hangup_request(self.caller, cause, sip))
            elif step == "DB":
                self.emit("DialBegin", self._dest([("DialString", self._dial_string())]))
            elif step == "DE":
                self.emit("DialEnd", self._dest([("DialStatus", dial_status)]))
            elif step == "OR":
                self._originate_response(False, reason)
            elif step == "HANG":
                self.hangup(self.caller, cause, sip)

    async def _no_answer(self) -> None:
        """Rang until the Originate's Timeout: Reason 3, cause 19 (SIP 480), no DialEnd."""
        got = await self.sleep(self.request.timeout)
        if isinstance(got, Command):
            return self._cancelled()
        self.result.update(outcome="failed", cause=19)
        self._respond(False)
        self._originate_response(False, 3)
        self.hangup(self.caller, 19, 480)
        self.pbx.check_device(self.pbx.trunk_device())

    def _cancelled(self) -> None:
        """An AMI Hangup of the ringing leg: the dial is cancelled (no recording; plausible order)."""
        self.result.update(outcome="failed", cause=16)
        self._respond(False)
        self.emit("SoftHangupRequest", ev.hangup_request(self.caller, 16))
        self.emit("DialEnd", self._dest([("DialStatus", "CANCEL")]))
        self._originate_response(False, 1)
        self.hangup(self.caller, 16)
        self.pbx.check_device(self.pbx.trunk_device())

    async def _answered(self) -> None:
        ch = self.caller
        self.newstate(ch, 6)
        self.answered_t = self.t
        self.start_media(ch)
        self.emit("DialEnd", self._dest([("DialStatus", "ANSWER")]))
        self.pbx.check_device(self.pbx.trunk_device())
        self._respond(True)
        self.pbx.processed_calls += 1
        ch.context, ch.exten, ch.priority = self.request.context, self.request.exten or "s", self.request.priority
        if self.lag <= 0:
            self._originate_response(True, 4)
        await self.run_dialplan()

    def _respond(self, success: bool) -> None:
        if self.reply is not None:
            reply, self.reply = self.reply, None
            reply(success)

    def _originate_response(self, success: bool, reason: int) -> None:
        if self.request.is_async is False:
            return
        req = self.request
        if success:
            ch = self.caller
            fields = ev.originate_response(req.action_id, True, ch.name, ch.context, ch.exten, reason,
                                           ch.uniqueid, ch.cid_num, ch.cid_name)
        else:
            fields = ev.originate_response(req.action_id, False, req.channel, req.context, req.exten or "s",
                                           reason, "<unknown>", req.cid_num, req.cid_name)
        self.emit("OriginateResponse", fields)
        self.result["originate_response"] = "Success" if success else "Failure"

    def step(self, priority: int, app: str, data: str) -> None:
        """One dialplan step; a lagging OriginateResponse goes out after ``lag`` steps."""
        self.newexten(self.caller, priority, app, data)
        if self.lag > 0:
            self.lag -= 1
            if self.lag == 0:
                self._originate_response(True, 4)
