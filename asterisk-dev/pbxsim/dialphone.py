"""``Dial(PJSIP/<phone>,<timeout>)`` from an answered customer leg: one agent's desk phone rings.

[hotline-callback] rings the agent who owns a callback (``CTI_AGENT``) before the queue. Not recorded
as such: the events follow the recorded Dial of context ``transfer`` (sip_inbound_transferred: the
phone leg created with the phone's caller ID, the caller's ``__`` variables inherited, DialBegin,
the caller's connected line, ringing, answer, bridge, the agent hangs up, the PBX ends the caller),
without what belongs to the transfer. An unanswered phone leaves ``DIALSTATUS`` for the dialplan.
"""

from __future__ import annotations

from . import events as ev
from .call import Command
from .model import Bridge, Channel
from .transfer import DIAL_VARS


class DialPhoneMixin:
    """Mixin for OriginateCall (uses the TransferMixin's phone helpers and CallBase's)."""

    async def dial_phone(self, interface: str, timeout: float) -> str | None:
        """Ring ``interface`` from the customer leg: the DIALSTATUS when the dialplan goes on, or None
        when the call has ended (answered and hung up, or the customer hung up while it rang)."""
        caller = self.caller
        for name in DIAL_VARS:
            self.var(caller, name, "")
        tech, _, endpoint = interface.partition("/")
        if tech.upper() != "PJSIP" or not self.pbx.is_phone(endpoint):
            self.var(caller, "DIALSTATUS", "CHANUNAVAIL")  # no channel can be created for it
            return "CHANUNAVAIL"
        phone = self._ring(interface, endpoint)
        record = self.cdr_record(phone.name, "Dial", f"{interface},{int(timeout)}", self.t, userfield=self.userfield)
        delay = self._target_delay(interface)
        answers = delay is not None and delay < timeout
        got = await self.sleep(delay if answers else timeout)
        if isinstance(got, Command) and got.kind == "hangup" and got.channel is caller:
            self._customer_gave_up(phone, interface, record)
            return None
        if got is None and answers:
            await self._talk_to_phone(phone, interface, record)
            return None
        return self._phone_not_answered(phone, interface, record)

    def _ring(self, interface: str, endpoint: str) -> Channel:
        caller = self.caller
        num, name = self.pbx.phone_identity(interface)
        phone = self.new_channel(endpoint, cid_num=num, cid_name=name, context="from-phones", exten="s")
        self.emit("Newchannel", ev.snapshot(phone))
        self.var(phone, "DIALEDPEERNUMBER", endpoint)
        for var, value in reversed(self.inherit):
            self.var(phone, var, value)
        phone.exten, phone.cl_num, phone.cl_name = caller.exten, caller.cid_num, caller.cid_name
        self.newexten(phone, 1, "AppDial", "(Outgoing Line)")
        self.emit("NewConnectedLine", ev.snapshot(phone))
        self.emit("DialBegin", ev.dial(caller, phone, [("DialString", endpoint)]))
        caller.cl_num, caller.cl_name = phone.cid_num, phone.cid_name
        self.emit("NewConnectedLine", ev.snapshot(caller))
        self.newstate(phone, 5)
        self._target_status(interface)
        self.var(caller, "RINGTIME", 0)
        self.var(caller, "RINGTIME_MS", 0)
        self.emit("DialState", ev.dial(caller, phone, [("DialStatus", "RINGING")]))
        self.result["state"] = "ringing"
        return phone

    def _phone_not_answered(self, phone: Channel, interface: str, record: dict) -> str:
        self.emit("DialEnd", ev.dial(self.caller, phone, [("DialStatus", "NOANSWER")]))
        record["end"] = self.epoch()
        self.hangup(phone, 0)
        self._target_status(interface)
        self.var(self.caller, "DIALSTATUS", "NOANSWER")
        return "NOANSWER"

    def _customer_gave_up(self, phone: Channel, interface: str, record: dict) -> None:
        caller = self.caller
        self.result["outcome"] = "hungup"
        self.emit("SoftHangupRequest", ev.hangup_request(caller, 16))
        self.emit("DialEnd", ev.dial(caller, phone, [("DialStatus", "CANCEL")]))
        record["end"] = self.epoch()
        self.hangup(phone, 16)
        self._target_status(interface)
        self.var(caller, "DIALSTATUS", "CANCEL")
        self.qos(caller)
        self.hangup(caller, 16)
        self.pbx.check_device(self.pbx.trunk_device())
        self.emit_cdrs()

    async def _talk_to_phone(self, phone: Channel, interface: str, record: dict) -> None:
        caller, start = self.caller, self.t
        self.newstate(phone, 6)
        self.var(caller, "DIALSTATUS", "ANSWER")
        self.var(caller, "DIALEDPEERNAME", phone.name)
        self.var(caller, "DIALEDPEERNUMBER", phone.device.split("/", 1)[1])
        self._target_status(interface)
        self.emit("DialEnd", ev.dial(caller, phone, [("DialStatus", "ANSWER")]))
        record["disposition"] = "ANSWERED"
        self.bridge = Bridge()
        self.emit("BridgeCreate", ev.bridge(self.bridge, 0, "simple_bridge"))
        self.newexten(phone, 1, "AppDial", "(Outgoing Line)")
        self.enter_bridge(phone)
        self.enter_bridge(caller)
        self.bridge_peers(caller, phone)
        self.result.update(state="talking", agent=interface, channel=phone.name)
        talk = self.script.talk if self.script.talk is not None else self.pbx.config.default_talk
        got = await self.sleep(talk)
        by_customer = isinstance(got, Command) and got.channel is caller
        self._end_bridge(phone, interface, hung_up_first=caller if by_customer else phone)
        answered, dialed = self.whole(self.t - start), self.whole(self.t)
        for name, value in (("ANSWEREDTIME", answered), ("ANSWEREDTIME_MS", answered * 1000),
                            ("DIALEDTIME", dialed), ("DIALEDTIME_MS", dialed * 1000), ("DIALSTATUS", "ANSWER")):
            self.var(caller, name, value)
        self.result.update(outcome="answered", talk_time=answered)
        if by_customer:
            self.qos(caller)
            self.hangup(caller, 16)
            self.pbx.check_device(self.pbx.trunk_device())
            self.emit_cdrs()
        else:
            self._end_customer()

    def _end_bridge(self, phone: Channel, interface: str, hung_up_first: Channel) -> None:
        """Whoever hung up first (a BYE: HangupRequest) leaves; the bridge breaks up; the phone is gone."""
        caller = self.caller
        self.qos_bridged(phone, caller)
        self.emit("HangupRequest", ev.hangup_request(hung_up_first, 16))
        for ch in (phone, caller):
            self.var(ch, "BRIDGEPEER", "")
            self.var(ch, "BRIDGEPVTCALLID", "")
        self.leave_bridge(phone)
        self.hangup(phone, 16)
        self._target_status(interface)
        self.leave_bridge(caller)
        self.emit("BridgeDestroy", ev.bridge(self.bridge, 0, "native_rtp"))
