"""Click-to-dial: ``Originate`` to an agent's phone, then dial the customer.

``Channel: PJSIP/1001``, ``Context: <any>``, ``Exten: +8613800138000``: the
phone rings and the agent answers (after its ``answer_after``); the answered
leg runs ``Dial(PJSIP/<exten>@carrier,30)``; the customer's number behaves as
configured (answer, busy, …) and, once connected, hangs up after its
``talk`` seconds. There is no recording of this flow: the events follow the
shapes of the recorded ones (Originate, Dial of the transfer, bridge, hang-up).
"""

from __future__ import annotations

from . import events as ev
from .atoms import QueueAtoms
from .call import CallBase, Command
from .model import Bridge, Channel
from .originate import OriginateCall, open_originate_leg
from .transfer import DIAL_VARS

FAILED = {"busy": (17, 486, "BUSY"), "congestion": (34, 503, "CONGESTION"), "rejected": (21, 403, "NOANSWER"),
          "unallocated": (1, 404, "NOANSWER")}


class ClickToDialCall(QueueAtoms, CallBase):
    """Agent phone first, then the customer over the trunk."""

    kind = "click_to_dial"

    def __init__(self, pbx, request, reply=None) -> None:
        super().__init__(pbx)
        self.request, self.reply = request, reply
        self.interface = f"PJSIP/{request.tech_resource[2]}"
        self.member = pbx.queue.find(self.interface)
        self.bridge: Bridge | None = None
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

    async def _dial_customer(self, phone: Channel) -> None:
        req, config = self.request, self.pbx.config
        number = req.exten
        dial_string = f"{number}@{config.trunk}"
        phone.context, phone.exten = req.context, number
        self.newexten(phone, req.priority, "Dial", f"PJSIP/{dial_string},30")
        for name in DIAL_VARS:
            self.var(phone, name, "")
        trunk = self.new_channel(config.trunk, context="from-carrier", exten="s", cid_num=phone.cid_num,
                                 cid_name=phone.cid_name, cl_num=number)
        self.emit("Newchannel", ev.snapshot(trunk))
        self.emit("DialBegin", ev.dial(phone, trunk, [("DialString", dial_string)]))
        record = self.cdr_record(trunk.name, "Dial", f"PJSIP/{dial_string},30", self.t)
        behavior = config.behavior(number)
        if behavior.outcome in FAILED:
            return self._customer_failed(phone, trunk, behavior.outcome, record)
        self.newstate(trunk, 5)
        self.pbx.check_device(self.pbx.trunk_device())
        self.emit("DialState", ev.dial(phone, trunk, [("DialStatus", "RINGING")]))
        if behavior.outcome == "noanswer" or behavior.answer_after >= 30:
            await self.sleep(30)
            return self._customer_failed(phone, trunk, "noanswer", record)
        if isinstance(await self.sleep(behavior.answer_after), Command):
            return self._customer_failed(phone, trunk, "cancel", record)
        await self._talk(phone, trunk, behavior.talk, record)

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
        self._end_phone(phone)

    async def _talk(self, phone: Channel, trunk: Channel, talk: float, record: dict) -> None:
        self.newstate(trunk, 6)
        self.var(phone, "DIALSTATUS", "ANSWER")
        self.var(phone, "DIALEDPEERNAME", trunk.name)
        self.pbx.check_device(self.pbx.trunk_device())
        self.emit("DialEnd", ev.dial(phone, trunk, [("DialStatus", "ANSWER")]))
        record["disposition"] = "ANSWERED"
        phone.cl_num, phone.cl_name = self.request.exten, ""
        self.emit("NewConnectedLine", ev.snapshot(phone))
        self.bridge = Bridge()
        self.emit("BridgeCreate", ev.bridge(self.bridge, 0, "simple_bridge"))
        self.enter_bridge(trunk)
        self.enter_bridge(phone)
        self.bridge_peers(phone, trunk)
        self.result["state"] = "talking"
        start = self.t
        got = await self.sleep(talk)
        by_agent = isinstance(got, Command) and got.channel is phone
        first, second = (phone, trunk) if by_agent else (trunk, phone)
        self.qos_bridged(first, second)
        self.emit("HangupRequest", ev.hangup_request(first, 16))
        for ch in (first, second):
            self.var(ch, "BRIDGEPEER", "")
            self.var(ch, "BRIDGEPVTCALLID", "")
        self.leave_bridge(first)
        self.leave_bridge(second)
        self.emit("BridgeDestroy", ev.bridge(self.bridge, 0, "native_rtp"))
        self.result.update(outcome="answered", talk_time=self.whole(self.t - start))
        self.hangup(trunk, 16)
        self.pbx.check_device(self.pbx.trunk_device())
        self._end_phone(phone)

    def _end_phone(self, phone: Channel) -> None:
        if not phone.hungup:
            self.emit("SoftHangupRequest", ev.hangup_request(phone, 16))
            self.qos(phone)
            self.hangup(phone, 16)
        self._status()
        self.emit_cdrs()


def originate_call(pbx, request, reply=None, script=None) -> CallBase:
    """The call an Originate starts: click-to-dial for ``PJSIP/<phone>`` with an Exten,
    otherwise a trunk Originate (which fails for unknown endpoints)."""
    _, number, endpoint = request.tech_resource
    if not number and request.exten and pbx.is_phone(endpoint):
        return ClickToDialCall(pbx, request, reply)
    return OriginateCall(pbx, request, reply=reply, script=script)
