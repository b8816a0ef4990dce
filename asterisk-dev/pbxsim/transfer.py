"""Blind transfer of a queue call to another phone (sip_inbound_transferred).

The agent leg is transferred (AMI ``BlindTransfer`` or the scenario itself);
the customer leaves the queue bridge, runs ``transfer,<exten>`` which dials
``PJSIP/<exten>,20``; the new phone answers, talks and hangs up.
"""

from __future__ import annotations

from . import events as ev
from .call import Command
from .model import Bridge, Channel

DIAL_VARS = ("DIALSTATUS", "DIALEDPEERNUMBER", "DIALEDPEERNAME", "ANSWEREDTIME", "ANSWEREDTIME_MS",
             "DIALEDTIME", "DIALEDTIME_MS", "RINGTIME", "RINGTIME_MS", "PROGRESSTIME", "PROGRESSTIME_MS")
DIAL_TIMEOUT = 20.0


class TransferMixin:
    """Mixin for QueueCall (uses its atoms and CallBase helpers)."""

    async def blind_transfer(self, cmd: Command) -> None:
        caller, agent = self.caller, self.winner.ch
        context, exten = cmd.context or "transfer", cmd.exten
        self.result.update(outcome="transferred", transferred_to=exten)
        self.emit("Unhold", ev.snapshot(agent))
        self.var(agent, "BLINDTRANSFER", caller.name)
        self.var(caller, "BLINDTRANSFER", agent.name)
        self.a_BPXW()
        self.emit("BlindTransfer", [("Result", "Success")] + ev.snapshot(agent, "Transferer")
                  + ev.snapshot(caller, "Transferee") + ev.bridge(self.bridge, 2, "native_rtp")
                  + [("IsExternal", "Yes"), ("Context", context), ("Extension", exten)])
        self._agent_complete("transfer")
        self.leave_bridge(agent)
        self.a_BPXC()
        caller.context, caller.exten, caller.priority = context, exten, 1
        self.emit("Newexten", ev.newexten(caller))
        self.leave_bridge(caller, "simple_bridge")
        self.emit("BridgeDestroy", ev.bridge(self.bridge, 0, "simple_bridge"))
        dialed = self.whole(self.t)
        for name, value in (("DIALEDTIME", dialed), ("DIALEDTIME_MS", dialed * 1000),
                            ("ANSWEREDTIME", 0), ("ANSWEREDTIME_MS", 0)):
            self.var(caller, name, value)
        self.winner.cdr.update(dst=exten, dcontext=context, end=self.epoch())
        if not self.pbx.is_phone(exten):
            await self._transfer_nowhere(agent)
            return
        await self._dial_target(agent, exten)

    async def _transfer_nowhere(self, agent: Channel) -> None:
        """The extension is no phone: the transferer leaves, the customer is hung up."""
        self.qos(agent)
        self.hangup(agent, 16)
        self.pbx.check_device(self.winner.member.interface)
        self.pbx.member_status(self.winner.member)
        self._end_customer()

    async def _dial_target(self, agent: Channel, exten: str) -> None:
        caller, iface = self.caller, f"PJSIP/{exten}"
        self.newexten(caller, 2, "Dial", f"{iface},{int(DIAL_TIMEOUT)}")
        for name in DIAL_VARS:
            self.var(caller, name, "")
        self.qos(agent)
        num, name = self.pbx.phone_identity(iface)
        target = self.new_channel(exten, cid_num=num, cid_name=name, context="from-phones", exten="s")
        self.emit("Newchannel", ev.snapshot(target))
        self.var(target, "DIALEDPEERNUMBER", exten)
        for var, value in reversed(self.inherit):
            self.var(target, var, value)
        target.exten, target.cl_num, target.cl_name = exten, caller.cid_num, caller.cid_name
        self.newexten(target, 1, "AppDial", "(Outgoing Line)")
        self.emit("NewConnectedLine", ev.snapshot(target))
        self.hangup(agent, 16)
        self.pbx.check_device(self.winner.member.interface)
        self.pbx.member_status(self.winner.member)
        self.emit("DialBegin", ev.dial(caller, target, [("DialString", exten)]))
        caller.cl_num, caller.cl_name = target.cid_num, target.cid_name
        self.emit("NewConnectedLine", ev.snapshot(caller))
        self.newstate(target, 5)
        self._target_status(iface)
        self.var(caller, "RINGTIME", 0)
        self.var(caller, "RINGTIME_MS", 0)
        self.emit("DialState", ev.dial(caller, target, [("DialStatus", "RINGING")]))
        record = self.cdr_record(target.name, "Dial", f"{iface},{int(DIAL_TIMEOUT)}", self.t,
                                 userfield=self.userfield)
        delay = self._target_delay(iface)
        got = await self.sleep(min(delay, DIAL_TIMEOUT) if delay is not None else DIAL_TIMEOUT)
        if got is not None or delay is None or delay >= DIAL_TIMEOUT:
            self._target_missed(target, iface, record)
            return
        await self._target_talk(target, iface, record)

    def _target_delay(self, iface: str) -> float | None:
        if self.script.transfer_answer_after is not None:
            return self.script.transfer_answer_after
        member = self.pbx.queue.find(iface)
        if member is not None:
            return member.answer_after
        return next((m.answer_after for m in self.pbx.config.members if m.interface == iface), None)

    def _target_status(self, iface: str) -> None:
        self.pbx.check_device(iface)
        member = self.pbx.queue.find(iface)
        if member is not None:
            self.pbx.member_status(member)

    async def _target_talk(self, target: Channel, iface: str, record: dict) -> None:
        caller, exten = self.caller, target.name.split("/", 1)[1].rsplit("-", 1)[0]
        self.newstate(target, 6)
        self.var(caller, "DIALSTATUS", "ANSWER")
        self.var(caller, "DIALEDPEERNAME", target.name)
        self.var(caller, "DIALEDPEERNUMBER", exten)
        self._target_status(iface)
        target.exten = ""
        self.emit("DialEnd", ev.dial(caller, target, [("DialStatus", "ANSWER")]))
        record["disposition"] = "ANSWERED"
        self.bridge = Bridge()
        self.emit("BridgeCreate", ev.bridge(self.bridge, 0, "simple_bridge"))
        self.newexten(target, 1, "AppDial", "(Outgoing Line)")
        self.enter_bridge(target)
        self.enter_bridge(caller)
        self.var(caller, "BLINDTRANSFER", "")
        self.bridge_peers(caller, target)
        self.result["state"] = "talking"
        await self.sleep(self.script.transfer_talk if self.script.transfer_to else self.pbx.config.default_talk)
        self.qos_bridged(target, caller)
        self.emit("HangupRequest", ev.hangup_request(target, 16))
        for ch in (target, caller):
            self.var(ch, "BRIDGEPEER", "")
            self.var(ch, "BRIDGEPVTCALLID", "")
        self.leave_bridge(target)
        self.hangup(target, 16)
        self._target_status(iface)
        self.leave_bridge(caller)
        self.emit("BridgeDestroy", ev.bridge(self.bridge, 0, "native_rtp"))
        answered, dialed = self.whole(self.t - self.answered_t), self.whole(self.t)
        for name, value in (("ANSWEREDTIME", answered), ("ANSWEREDTIME_MS", answered * 1000),
                            ("DIALEDTIME", dialed), ("DIALEDTIME_MS", dialed * 1000), ("DIALSTATUS", "ANSWER")):
            self.var(caller, name, value)
        self._end_customer()

    def _target_missed(self, target: Channel, iface: str, record: dict) -> None:
        """Nobody picked up the transfer (or the customer hung up): Dial gives up."""
        self.emit("DialEnd", ev.dial(self.caller, target, [("DialStatus", "NOANSWER")]))
        record["end"] = self.epoch()
        self.hangup(target, 0)
        self._target_status(iface)
        self.var(self.caller, "DIALSTATUS", "NOANSWER")
        self._end_customer()

    def _end_customer(self) -> None:
        """The dialplan ends: the PBX hangs the customer up."""
        self.emit("SoftHangupRequest", ev.hangup_request(self.caller, 16))
        self.qos(self.caller)
        self.hangup(self.caller, 16)
        self.pbx.check_device(self.pbx.trunk_device())
        self.emit_cdrs()
