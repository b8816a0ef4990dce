"""Channel-level handlers: Newchannel, NewCallerid, Newstate, Hangup(Request), Dial*, BridgeEnter, BlindTransfer."""

from __future__ import annotations

from cti.ami.channels import (
    device_of,
    dial_target,
    dials_a_phone,
    is_unknown,
    local_pair,
    tech_of,
)
from cti.events import (
    AgentRinging,
    CallerIdentified,
    CallTransferred,
    Direction,
    RingOutcome,
)
from cti.ami.tracker_base import Msg, Out, TrackerBase
from cti.ami.tracker_state import OPEN, PICKED, Call, Ring

_NO_ANSWER_STATUSES = frozenset({"NOANSWER", "BUSY", "CONGESTION", "CHANUNAVAIL"})
SIMULATED_TRUNK_EXTEN = "s"


class ChannelHandlers(TrackerBase):
    def _on_newchannel(self, msg: Msg, now: float, out: Out) -> None:
        """The first leg of a call (Uniqueid == Linkedid) creates it; later legs join it.

        A first leg that is not ``Down`` is an inbound call (a trunk leg in
        ``Ring``: caller ID and DNIS already set) and is offered at once. A
        ``Down`` first leg was originated: it is offered at its DialBegin,
        where the dialled number appears.
        """
        uid = msg["Uniqueid"]
        lid = msg.get("Linkedid") or uid
        if uid in self._legs:
            return
        if uid != lid:
            call = self._call_of_leg(lid, now)
            if call is None:
                self.ignored += 1
                return
            self._add_leg(call, uid)
            return
        if lid in self._calls:
            return
        call = self._new_call(lid, now, out)
        call.customer_channel = msg.get("Channel", "")
        self._add_leg(call, uid)
        if msg.get("ChannelState") == "0":
            call.originated = True
            self._index_origin(call, device_of(call.customer_channel))
            return
        exten = msg.get("Exten", "")
        dnis = "" if exten == SIMULATED_TRUNK_EXTEN else exten
        num, name = msg.get("CallerIDNum", "<unknown>"), msg.get("CallerIDName", "<unknown>")
        self._offer(call, Direction.INBOUND, num, name, dnis, now, out)

    def _on_newcallerid(self, msg: Msg, now: float, out: Out) -> None:
        """Caller ID change on the customer leg → CallerIdentified (after the offer).

        On an outbound call our own presentation (the Originate's CallerID)
        and ``<unknown>`` never replace what is known of the customer.
        """
        call = self._call_of(msg, now)
        if call is None or msg.get("Uniqueid") != call.customer_leg() or not call.offered:
            return
        num, name = msg.get("CallerIDNum", ""), msg.get("CallerIDName", "")
        own_num, own_name = call.presented
        if is_unknown(num) or (own_num and num == own_num):
            num = call.caller_num
        if is_unknown(name) or (own_name and name == own_name):
            name = call.caller_name
        if (num, name) == call.caller():
            return
        call.caller_num, call.caller_name = num, name
        out.append(CallerIdentified(call.call_id, now, num, name))

    def _on_newstate(self, msg: Msg, now: float, out: Out) -> None:
        """An originated customer leg going Up means the customer answered."""
        if msg.get("ChannelState") != "6":
            return
        call = self._call_of(msg, now)
        if call is None or msg.get("Uniqueid") != call.customer_leg():
            return
        if (call.originated or call.agent_first) and call.picked_up_at is None:
            call.picked_up_at = now

    def _on_hangup_request(self, msg: Msg, now: float, out: Out) -> None:
        """The far end of the customer leg hung up (BYE): rings from now on end as caller_left."""
        call = self._call_of(msg, now)
        if call is not None and msg.get("Uniqueid") == call.customer_leg():
            call.customer_gone = True

    def _on_hangup(self, msg: Msg, now: float, out: Out) -> None:
        uid = msg["Uniqueid"]
        call = self._call_of_leg(uid, now)
        if call is None:
            return
        self._legs.pop(uid, None)
        call.legs.discard(uid)
        cause = self._int(msg, "Cause")
        text = msg.get("Cause-txt", "")
        channel = msg.get("Channel", "")
        if uid == call.customer_leg():
            call.customer_cause = cause
            call.customer_gone = True
        elif local_pair(channel) and local_pair(channel) == local_pair(call.customer_channel):
            call.partner_cause = cause
            call.customer_gone = True
        if text and cause not in call.cause_texts:
            call.cause_texts[cause] = text
        ring = call.rings.get(uid)
        if ring is not None:
            if ring.state in OPEN:
                self._ring_gone(call, ring, now, out, cause)
            else:
                self._agent_leg_left(call, ring, now)
        if call.customer_gone:
            for other in call.open_rings():
                if other.state != PICKED:
                    self._end_ring(call, other, RingOutcome.CALLER_LEFT, now, out)
        if not call.legs:
            self._finish(call, now, out)

    # -- dialling ------------------------------------------------------------------

    def _on_dial_begin(self, msg: Msg, now: float, out: Out) -> None:
        """Originate (no source channel) → offer; a direct dial from a call → AgentRinging."""
        dest_uid = msg["DestUniqueid"]
        if not msg.get("Uniqueid"):
            self._originate_dialled(msg, dest_uid, now, out)
            return
        call = self._call_of(msg, now)
        if call is None or dest_uid in call.rings or call.in_queue or dest_uid == call.call_id:
            return  # queue dials are announced by AgentCalled
        if call.agent_first and call.customer_uid == "" and msg.get("Uniqueid") == call.call_id:
            self._customer_dialled(call, msg, dest_uid, now, out)
            return
        dest = msg.get("DestChannel", "")
        interface = device_of(dest)
        ring = Ring(dest_uid, interface, interface, dest, "", now)
        call.rings[dest_uid] = ring
        self._add_leg(call, dest_uid)
        num, name = call.caller()
        out.append(AgentRinging(call.call_id, now, interface, interface, dest, "", num, name, call.action_id))

    def _originate_dialled(self, msg: Msg, dest_uid: str, now: float, out: Out) -> None:
        call = self._call_of_leg(dest_uid, now)
        if call is None or dest_uid != call.call_id or call.offered:
            return
        dial = msg.get("DialString", "")
        call.dial_string = f"{tech_of(msg.get('DestChannel', ''))}/{dial}"
        self._index_origin(call, call.dial_string)
        target = dial_target(dial)
        num = msg.get("DestCallerIDNum", "<unknown>")
        name = msg.get("DestCallerIDName", "<unknown>")
        if dials_a_phone(tech_of(msg.get("DestChannel", "")), dial):
            self._agent_rung_first(call, msg, dest_uid, now, out)
            return
        if target == SIMULATED_TRUNK_EXTEN:
            # Local/s@customer-sim: the development PBX plays an inbound trunk call.
            self._offer(call, Direction.INBOUND, num, name, "", now, out)
            return
        call.presented = ("" if is_unknown(num) else num, "" if is_unknown(name) else name)
        self._offer(call, Direction.OUTBOUND, target, "", "", now, out)

    def _agent_rung_first(self, call: Call, msg: Msg, dest_uid: str, now: float, out: Out) -> None:
        """Click-to-dial, a preview callback: the Originate rings the agent's phone, showing the customer's
        number (the Originate's CallerID); the call is offered as outbound to that number and the agent's
        phone rings (the pop)."""
        call.agent_first, call.customer_uid = True, ""
        num, name = msg.get("DestCallerIDNum", ""), msg.get("DestCallerIDName", "")
        num, name = ("" if is_unknown(num) else num), ("" if is_unknown(name) else name)
        self._offer(call, Direction.OUTBOUND, num, name, "", now, out)
        dest = msg.get("DestChannel", "")
        interface = device_of(dest)
        call.rings[dest_uid] = Ring(dest_uid, interface, interface, dest, "", now)
        out.append(AgentRinging(call.call_id, now, interface, interface, dest, "", *call.caller(), call.action_id))

    def _customer_dialled(self, call: Call, msg: Msg, dest_uid: str, now: float, out: Out) -> None:
        """The agent's leg dials the customer (``Dial(PJSIP/<number>@carrier)``): that leg is the customer's
        from now on; its number is the one dialled."""
        call.customer_uid = dest_uid
        self._add_leg(call, dest_uid)
        number = dial_target(msg.get("DialString", ""))
        if number and number != call.caller_num:
            call.caller_num = number
            out.append(CallerIdentified(call.call_id, now, number, call.caller_name))

    def _on_dial_end(self, msg: Msg, now: float, out: Out) -> None:
        dest_uid = msg.get("DestUniqueid", "")
        status = msg.get("DialStatus", "")
        call = self._call_of_leg(dest_uid, now)
        if call is None:
            return
        if dest_uid == call.customer_leg() and dest_uid:
            if status == "ANSWER" and call.picked_up_at is None:
                call.picked_up_at = now
            return
        ring = call.rings.get(dest_uid)
        if ring is None or ring.state not in OPEN:
            return
        if status == "ANSWER":
            if ring.queue:
                ring.state = PICKED  # CallAnswered comes with AgentConnect
            else:
                self._answer_ring(call, ring, now, out, 0, max(0, round(now - ring.rang_at)))
        elif status in _NO_ANSWER_STATUSES:
            self._end_ring(call, ring, RingOutcome.NO_ANSWER, now, out)
        else:
            self._ring_gone(call, ring, now, out)

    def _on_bridge_enter(self, msg: Msg, now: float, out: Out) -> None:
        """A direct-dial leg entering a bridge is answered (when DialEnd was not seen)."""
        call = self._call_of(msg, now)
        if call is None:
            return
        ring = call.rings.get(msg.get("Uniqueid", ""))
        if ring is not None and ring.state in OPEN and not ring.queue:
            self._answer_ring(call, ring, now, out, 0, max(0, round(now - ring.rang_at)))

    def _on_blind_transfer(self, msg: Msg, now: float, out: Out) -> None:
        if msg.get("Result") != "Success":
            return
        call = self._calls.get(msg.get("TransfererLinkedid", "")) or self._calls.get(
            msg.get("TransfereeLinkedid", "")
        )
        if call is None:
            self.ignored += 1
            return
        self._touch(call, now)
        call.transferred = True
        source = device_of(msg.get("TransfererChannel", ""))
        target = f"{msg.get('Context', '')},{msg.get('Extension', '')}"
        out.append(CallTransferred(call.call_id, now, source, target, "blind"))
