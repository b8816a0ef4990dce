"""Click-to-dial and preview callbacks: ``Originate`` to an agent's phone, then dial the customer.

``Channel: PJSIP/1001``, ``Exten: +8613800138000``: the phone rings and the agent answers (after
its ``answer_after``); the answered leg runs its context (:data:`PLANS`): ``hotline-dial`` of
dialplans/hotline.conf (the hotline's caller ID, ``Dial(PJSIP/<exten>@carrier,45,g)``, ``Hangup()``,
and in the ``h`` extension ``UserEvent(DialResult,Attempt: …,DialStatus: …)``), ``from-phones`` of
asterisk-dev/extensions.conf, or for any other context a bare ``Dial(…,30)``. The customer's number
behaves as configured (answer, busy, …) and, once connected, hangs up after its ``talk`` seconds.
The trunk leg gets its caller ID as app_dial gives it (the dialled number, the phone's connected
name; connected line = the phone's caller ID). Not recorded: the events follow the shapes of the
recorded ones (Originate, the Dial of context ``transfer``, bridge, hang-up).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import events as ev
from .atoms import QueueAtoms
from .call import CallBase, Command
from .model import Bridge, Channel
from .originate import OriginateCall, open_originate_leg, parse_callerid
from .transfer import DIAL_VARS

FAILED = {"busy": (17, 486, "BUSY"), "congestion": (34, 503, "CONGESTION"), "rejected": (21, 403, "NOANSWER"),
          "unallocated": (1, 404, "NOANSWER")}


@dataclass(frozen=True)
class DialPlan:
    """What an answered phone leg runs in one context, priority by priority."""

    noop: bool = False  # 1: NoOp(Attempt …: agent answered, dialling …)
    caller_id: str | None = None  # Set(CALLERID(all)=…): None none; "" the global HOTLINE_CALLER_ID
    timeout: int = 30
    options: str = ""  # "g": the dialplan goes on after the customer hangs up
    hangup: bool = False  # a Hangup() priority after Dial
    dial_result: bool = False  # exten h: UserEvent(DialResult,…) whenever the leg ends


PLANS = {
    "hotline-dial": DialPlan(noop=True, caller_id="", timeout=45, options="g", hangup=True, dial_result=True),
    "from-phones": DialPlan(caller_id='"Customer Care" <4008001234>', timeout=60, hangup=True),
}
GENERIC = DialPlan()


class ClickToDialCall(QueueAtoms, CallBase):
    """Agent phone first, then the customer over the trunk."""

    kind = "click_to_dial"

    def __init__(self, pbx, request, reply=None) -> None:
        super().__init__(pbx)
        self.request, self.reply = request, reply
        self.interface = f"PJSIP/{request.tech_resource[2]}"
        self.member = pbx.queue.find(self.interface)
        self.bridge: Bridge | None = None
        self.plan = PLANS.get(request.context, GENERIC)
        self.dial_priority = request.priority
        self.dial_status = ""
        self.result.update(agent=self.interface, number=request.exten, action_id=request.action_id)

    def _status(self) -> None:
        self.pbx.check_device(self.interface)
        if self.member is not None:
            self.pbx.member_status(self.member)

    def _respond(self, success: bool) -> None:
        if self.reply is not None:
            reply, self.reply = self.reply, None
            reply(success)

    def _originate_response(self, success: bool, reason: int) -> None:
        req, ch = self.request, self.caller
        if not req.is_async:
            return
        if success:
            fields = ev.originate_response(req.action_id, True, ch.name, req.context, req.exten, reason,
                                           ch.uniqueid, ch.cid_num, ch.cid_name)
        else:
            fields = ev.originate_response(req.action_id, False, req.channel, req.context, req.exten, reason,
                                           "<unknown>", req.cid_num, req.cid_name)
        self.emit("OriginateResponse", fields)

    async def run(self) -> None:
        req, resource = self.request, self.interface.split("/", 1)[1]
        phone = open_originate_leg(self, resource, "from-phones")
        self.emit("DialBegin", ev.dial(None, phone, [("DialString", resource)]))
        self.newstate(phone, 5)
        self._status()
        self.emit("DialState", ev.dial(None, phone, [("DialStatus", "RINGING")]))
        delay = self.member.answer_after if self.member else 2.0
        if delay is None or delay >= req.timeout:
            await self.sleep(req.timeout)
            return self._phone_missed(phone)
        if isinstance(await self.sleep(delay), Command):
            return self._phone_missed(phone, cancelled=True)
        self.newstate(phone, 6)
        self.answered_t = self.t
        self.emit("DialEnd", ev.dial(None, phone, [("DialStatus", "ANSWER")]))
        self._status()
        self._respond(True)
        self._originate_response(True, 4)
        self.pbx.processed_calls += 1
        await self._dial_customer(phone)

    def _phone_missed(self, phone: Channel, cancelled: bool = False) -> None:
        self.result.update(outcome="failed")
        self._respond(False)
        self._originate_response(False, 1 if cancelled else 3)
        self.hangup(phone, 16 if cancelled else 19)
        self._status()

    # -- the answered phone's dialplan ----------------------------------------------------------
    def _before_dial(self, phone: Channel) -> None:
        """The priorities before Dial (the plan's NoOp and caller ID)."""
        req, plan = self.request, self.plan
        phone.context, phone.exten = req.context, req.exten
        priority = req.priority
        if plan.noop:
            action_id = phone.variables.get("CTI_ACTION_ID", "")
            self.newexten(phone, priority, "NoOp", f"Attempt {action_id}: agent answered, dialling {req.exten}")
            priority += 1
        if plan.caller_id is not None:
            caller_id = plan.caller_id or self.pbx.global_variables()["HOTLINE_CALLER_ID"]
            self.newexten(phone, priority, "Set", f"CALLERID(all)={caller_id}")
            phone.cid_num, phone.cid_name = parse_callerid(caller_id)
            self.emit("NewCallerid", ev.snapshot(phone) + [("CID-CallingPres", ev.CALLING_PRES)])
            priority += 1
        self.dial_priority = priority

    async def _dial_customer(self, phone: Channel) -> None:
        config, plan = self.pbx.config, self.plan
        number = self.request.exten
        dial_string = f"{number}@{config.trunk}"
        data = f"PJSIP/{dial_string},{plan.timeout}" + (f",{plan.options}" if plan.options else "")
        self._before_dial(phone)
        self.newexten(phone, self.dial_priority, "Dial", data)
        for name in DIAL_VARS:
            self.var(phone, name, "")
        trunk = self._open_trunk(phone, number, dial_string)
        self.emit("DialBegin", ev.dial(phone, trunk, [("DialString", dial_string)]))
        record = self.cdr_record(trunk.name, "Dial", data, self.t)
        behavior = config.behavior(number)
        if behavior.outcome in FAILED:
            return self._customer_failed(phone, trunk, behavior.outcome, record)
        self.newstate(trunk, 5)
        self.pbx.check_device(self.pbx.trunk_device())
        self.emit("DialState", ev.dial(phone, trunk, [("DialStatus", "RINGING")]))
        if behavior.outcome == "noanswer" or behavior.answer_after >= plan.timeout:
            got = await self.sleep(plan.timeout)
            return self._customer_failed(phone, trunk, "cancel" if isinstance(got, Command) else "noanswer",
                                         record)
        if isinstance(await self.sleep(behavior.answer_after), Command):
            return self._customer_failed(phone, trunk, "cancel", record)
        await self._talk(phone, trunk, behavior.talk, record)

    def _open_trunk(self, phone: Channel, number: str, dial_string: str) -> Channel:
        """The outgoing trunk leg as app_dial sets it up: no caller ID of its own, so the dialled extension
        (and the phone's connected name) as caller, the phone's caller ID as connected line."""
        trunk = self.new_channel(self.pbx.config.trunk, context="from-carrier", exten="s")
        self.emit("Newchannel", ev.snapshot(trunk))
        self.var(trunk, "DIALEDPEERNUMBER", dial_string)
        for name, value in phone.inheritance():
            self.var(trunk, name, value)
        trunk.exten, trunk.app, trunk.appdata = number, "AppDial", "(Outgoing Line)"
        trunk.cid_num, trunk.cid_name = number, phone.cl_name
        trunk.cl_num, trunk.cl_name = phone.cid_num, phone.cid_name
        self.emit("Newexten", ev.newexten(trunk))
        self.emit("NewCallerid", ev.snapshot(trunk) + [("CID-CallingPres", ev.CALLING_PRES)])
        self.emit("NewConnectedLine", ev.snapshot(trunk))
        return trunk

    def _customer_failed(self, phone: Channel, trunk: Channel, outcome: str, record: dict) -> None:
        default = (19, 480, "NOANSWER") if outcome == "noanswer" else (0, None, "CANCEL")
        cause, sip, status = FAILED.get(outcome, default)
        self.result.update(outcome="failed", cause=cause)
        if sip is not None:
            self.emit("HangupRequest", ev.hangup_request(trunk, cause, sip))
        self.emit("DialEnd", ev.dial(phone, trunk, [("DialStatus", status)]))
        record["end"] = self.epoch()
        self.hangup(trunk, cause, sip)
        self.pbx.check_device(self.pbx.trunk_device())
        self.var(phone, "DIALSTATUS", status)
        self.dial_status = status
        self._end_phone(phone, dialplan_goes_on=status != "CANCEL")

    async def _talk(self, phone: Channel, trunk: Channel, talk: float, record: dict) -> None:
        self.newstate(trunk, 6)
        self.var(phone, "DIALSTATUS", "ANSWER")
        self.var(phone, "DIALEDPEERNAME", trunk.name)
        self.pbx.check_device(self.pbx.trunk_device())
        self.emit("DialEnd", ev.dial(phone, trunk, [("DialStatus", "ANSWER")]))
        record["disposition"] = "ANSWERED"
        if (phone.cl_num, phone.cl_name) != (trunk.cid_num, trunk.cid_name):
            phone.cl_num, phone.cl_name = trunk.cid_num, trunk.cid_name
            self.emit("NewConnectedLine", ev.snapshot(phone))
        self.bridge = Bridge()
        self.emit("BridgeCreate", ev.bridge(self.bridge, 0, "simple_bridge"))
        self.enter_bridge(trunk)
        self.enter_bridge(phone)
        self.bridge_peers(phone, trunk)
        self.result["state"] = "talking"
        self.dial_status = "ANSWER"
        start = self.t
        got = await self.sleep(talk)
        ami = isinstance(got, Command)  # an AMI Hangup: a soft hangup; otherwise the customer's BYE
        by_agent = ami and got.channel is phone
        first, second = (phone, trunk) if by_agent else (trunk, phone)
        self.qos_bridged(first, second)
        self.emit("SoftHangupRequest" if ami else "HangupRequest", ev.hangup_request(first, 16))
        for ch in (first, second):
            self.var(ch, "BRIDGEPEER", "")
            self.var(ch, "BRIDGEPVTCALLID", "")
        self.leave_bridge(first)
        self.leave_bridge(second)
        self.emit("BridgeDestroy", ev.bridge(self.bridge, 0, "native_rtp"))
        self.result.update(outcome="answered", talk_time=self.whole(self.t - start))
        self.hangup(trunk, 16)
        self.pbx.check_device(self.pbx.trunk_device())
        self._end_phone(phone, dialplan_goes_on="g" in self.plan.options and not by_agent, hung_up=by_agent)

    def _end_phone(self, phone: Channel, dialplan_goes_on: bool, hung_up: bool = False) -> None:
        """The phone leg ends: through the plan's Hangup() when Dial returned, else at once; then the
        ``h`` extension (DialResult) when the plan has one."""
        if not phone.hungup:
            if dialplan_goes_on and self.plan.hangup:
                self.newexten(phone, self.dial_priority + 1, "Hangup", "")
            if not hung_up:
                self.emit("SoftHangupRequest", ev.hangup_request(phone, 16))
            if self.plan.dial_result:
                self._dial_result(phone)
            self.qos(phone)
            self.hangup(phone, 16)
        self.result["dial_status"] = self.dial_status
        self._status()
        self.emit_cdrs()

    def _dial_result(self, phone: Channel) -> None:
        """``exten => h,1,UserEvent(DialResult,Attempt: ${CTI_ACTION_ID},DialStatus: ${DIALSTATUS})``."""
        action_id = phone.variables.get("CTI_ACTION_ID", "")
        fields = [("Attempt", action_id), ("DialStatus", self.dial_status)]
        self.newexten(phone, 1, "UserEvent", "DialResult," + ",".join(f"{k}: {v}" for k, v in fields), exten="h")
        self.emit("UserEvent", ev.snapshot(phone) + [("UserEvent", "DialResult")] + fields)


def originate_call(pbx, request, reply=None, script=None) -> CallBase:
    """The call an Originate starts: click-to-dial for ``PJSIP/<phone>`` with an Exten,
    otherwise a trunk Originate (which fails for unknown endpoints)."""
    _, number, endpoint = request.tech_resource
    if not number and request.exten and pbx.is_phone(endpoint):
        return ClickToDialCall(pbx, request, reply)
    return OriginateCall(pbx, request, reply=reply, script=script)
