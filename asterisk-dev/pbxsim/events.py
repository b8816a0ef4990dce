"""Field lists of AMI events and list items, in Asterisk 22's exact order.

Every builder returns the fields *after* ``Event``/``Privilege`` (the PBX adds
those, see :data:`PRIVILEGE`); list items (``QueueMember``, ``CoreShowChannel``
…) are complete messages because their ``ActionID`` position varies. The
orders are copied from the recorded ``sip_*`` traces.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .model import Bridge, Channel, Member, Queue

Fields = list[tuple[str, str]]

PRIVILEGE = {
    "FullyBooted": "system,all",
    "SuccessfulAuth": "security,all",
    "InvalidPassword": "security,all",
    "RequestBadFormat": "security,all",
    "RequestNotAllowed": "security,all",
    "Newexten": "dialplan,all",
    "VarSet": "dialplan,all",
    "Cdr": "cdr,all",
    "DTMFBegin": "dtmf,all",
    "DTMFEnd": "dtmf,all",
    "RTCPSent": "reporting,all",
    "RTCPReceived": "reporting,all",
    "UserEvent": "user,all",
}
AGENT_EVENTS = (
    "AgentCalled AgentComplete AgentConnect AgentRingNoAnswer QueueCallerAbandon QueueCallerJoin "
    "QueueCallerLeave QueueMemberAdded QueueMemberPause QueueMemberRemoved QueueMemberStatus"
).split()
PRIVILEGE.update({name: "agent,all" for name in AGENT_EVENTS})

STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}
CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    21: "Call Rejected",
    26: "Answered elsewhere",
    34: "Circuit/channel congestion",
}
DEVICE_CODES = {"UNKNOWN": 0, "NOT_INUSE": 1, "INUSE": 2, "BUSY": 3, "INVALID": 4,
                "UNAVAILABLE": 5, "RINGING": 6, "RINGINUSE": 7, "ONHOLD": 8}
QOS_VARS = ("RTPAUDIOQOS", "RTPAUDIOQOSJITTER", "RTPAUDIOQOSLOSS", "RTPAUDIOQOSRTT", "RTPAUDIOQOSMES")
CALLING_PRES = "0 (Presentation Allowed, Not Screened)"


def privilege(event: str) -> str:
    """The ``Privilege`` header Asterisk gives this event type."""
    return PRIVILEGE.get(event, "call,all")


def or_unknown(value: str) -> str:
    """Asterisk's rendering of an absent caller ID part."""
    return value if value else "<unknown>"


def snapshot(ch: Channel, prefix: str = "") -> Fields:
    """The channel snapshot block (``Channel`` … ``Linkedid``), optionally prefixed."""
    return [
        (prefix + "Channel", ch.name),
        (prefix + "ChannelState", str(ch.state)),
        (prefix + "ChannelStateDesc", STATE_DESC[ch.state]),
        (prefix + "CallerIDNum", or_unknown(ch.cid_num)),
        (prefix + "CallerIDName", or_unknown(ch.cid_name)),
        (prefix + "ConnectedLineNum", or_unknown(ch.cl_num)),
        (prefix + "ConnectedLineName", or_unknown(ch.cl_name)),
        (prefix + "Language", ch.language),
        (prefix + "AccountCode", ch.accountcode),
        (prefix + "Context", ch.context),
        (prefix + "Exten", ch.exten),
        (prefix + "Priority", str(ch.priority)),
        (prefix + "Uniqueid", ch.uniqueid),
        (prefix + "Linkedid", ch.linkedid),
    ]


def varset(ch: Channel, variable: str, value: str) -> Fields:
    return snapshot(ch) + [("Variable", variable), ("Value", value)]


def newexten(ch: Channel) -> Fields:
    return snapshot(ch) + [("Extension", ch.exten), ("Application", ch.app), ("AppData", ch.appdata)]


def dial(caller: Channel | None, dest: Channel | Fields, extra: Fields) -> Fields:
    """DialBegin/DialState/DialEnd: the caller snapshot (if any) and the Dest* block."""
    head = snapshot(caller) if caller is not None else []
    dest_fields = dest if isinstance(dest, list) else snapshot(dest, "Dest")
    return head + dest_fields + extra


def agent(caller: Channel, leg: Channel | Fields, member: Member, queue: str, extra: Fields = ()) -> Fields:
    """AgentCalled/Connect/Complete/RingNoAnswer: caller, Dest* agent leg, queue member."""
    dest_fields = leg if isinstance(leg, list) else snapshot(leg, "Dest")
    return snapshot(caller) + dest_fields + [
        ("Queue", queue), ("Interface", member.interface), ("MemberName", member.name)] + list(extra)


def member(m: Member, queue: str) -> Fields:
    """QueueMemberStatus/Pause/Added/Removed body."""
    return [
        ("Queue", queue), ("MemberName", m.name), ("Interface", m.interface),
        ("StateInterface", m.interface), ("Membership", m.membership), ("Penalty", str(m.penalty)),
        ("CallsTaken", str(m.calls_taken)), ("LastCall", str(m.last_call)),
        ("LastPause", str(m.last_pause)), ("LoginTime", str(m.login_time)),
        ("InCall", "1" if m.in_call else "0"), ("Status", str(m.status)),
        ("Paused", "1" if m.paused else "0"), ("PausedReason", m.paused_reason if m.paused else ""),
        ("Ringinuse", "0"), ("Wrapuptime", "0"),
    ]


def queue_caller(ch: Channel, queue: str, extra: Fields) -> Fields:
    return snapshot(ch) + [("Queue", queue)] + extra


def bridge(b: Bridge, count: int, technology: str) -> Fields:
    return [
        ("BridgeUniqueid", b.uniqueid), ("BridgeType", "basic"), ("BridgeTechnology", technology),
        ("BridgeCreator", "<unknown>"), ("BridgeName", "<unknown>"),
        ("BridgeNumChannels", str(count)), ("BridgeVideoSourceMode", "none"),
    ]


def hangup(ch: Channel, cause: int, tech_cause: int | None = None) -> Fields:
    fields = snapshot(ch) + [("Cause", str(cause)), ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown"))]
    if tech_cause is not None:
        fields.append(("TechCause", str(tech_cause)))
    return fields


def hangup_request(ch: Channel, cause: int, tech_cause: int | None = None) -> Fields:
    fields = snapshot(ch) + [("Cause", str(cause))]
    if tech_cause is not None:
        fields.append(("TechCause", str(tech_cause)))
    return fields


def qos_value(variable: str, packets: int) -> str:
    """A plausible RTP quality report (values are media statistics, not call state)."""
    if variable == "RTPAUDIOQOS":
        ssrc, them = random.getrandbits(31), random.getrandbits(31)
        return (f"ssrc={ssrc};themssrc={them};lp=0;rxjitter=0.000000;rxcount={packets};txjitter=0.000000;"
                f"txcount={packets};rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000")
    stat = {"RTPAUDIOQOSJITTER": ("rxjitter", "txjitter"), "RTPAUDIOQOSLOSS": ("rxlost", "txlost"),
            "RTPAUDIOQOSRTT": ("rtt",), "RTPAUDIOQOSMES": ("rxmes", "txmes")}[variable]
    pad = {"RTPAUDIOQOSJITTER": "", "RTPAUDIOQOSLOSS": "  ", "RTPAUDIOQOSRTT": "     ",
           "RTPAUDIOQOSMES": "   "}[variable]
    parts = [f"{pad}{kind}{name}=000.000000;" for name in stat for kind in ("min", "max", "avg", "stdev")]
    return "".join(parts)


def rtcp(ch: Channel, sent: bool, seq: int) -> Fields:
    """RTCPSent / RTCPReceived for a leg's audio stream (fields as recorded)."""
    local, remote = f"127.0.0.1:{10000 + 2 * (seq % 500)}", f"127.0.0.1:{12000 + 2 * (seq % 500)}"
    ntp = f"{time.time():.6f}"
    fields = snapshot(ch) + [("To", remote if sent else local), ("From", local if sent else remote)]
    if not sent:
        fields.append(("RTT", "0.0010"))
    return fields + [
        ("MES", "88.1"), ("SSRC", f"0x{random.getrandbits(32):08x}"), ("PT", "200(SR)"),
        ("ReportCount", "1"), ("SentNTP", ntp), ("SentRTP", str(160 * 250 * seq)),
        ("SentPackets", str(250 * seq)), ("SentOctets", str(160 * 250 * seq)),
        ("Report0SourceSSRC", f"0x{random.getrandbits(32):08x}"), ("Report0FractionLost", "0"),
        ("Report0CumulativeLost", "0"), ("Report0HighestSequence", str(random.randrange(65536))),
        ("Report0SequenceNumberCycles", "0"), ("Report0IAJitter", "0"), ("Report0LSR", "0"),
        ("Report0DLSR", "0.0000"),
    ]


def cdr(record: dict) -> Fields:
    """One ``Event: Cdr`` body from a CDR record built by the call."""
    return [
        ("AccountCode", ""), ("Source", record["src"]), ("Destination", record["dst"]),
        ("DestinationContext", record["dcontext"]), ("CallerID", record["clid"]),
        ("Channel", record["channel"]), ("DestinationChannel", record["dstchannel"]),
        ("LastApplication", record["lastapp"]), ("LastData", record["lastdata"]),
        ("StartTime", cdr_time(record["start"])), ("AnswerTime", cdr_time(record["answer"])),
        ("EndTime", cdr_time(record["end"])), ("Duration", str(int(record["end"] - record["start"]))),
        ("BillableSeconds", str(int(record["end"] - record["answer"])) if record["answer"] else "0"),
        ("Disposition", record["disposition"]), ("AMAFlags", "DOCUMENTATION"),
        ("UniqueID", record["uniqueid"]), ("UserField", record["userfield"]),
    ]


def cdr_time(epoch: float | None) -> str:
    """CDR timestamps: ``2026-11-27 14:38:32`` (UTC), empty when not answered."""
    if not epoch:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def event_tv(epoch: float | None = None) -> str:
    """Security event times: ``2026-11-27T14:38:32.250+0000``."""
    epoch = time.time() if epoch is None else epoch
    millis = int((epoch % 1) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{millis:03d}+0000"


def originate_response(action_id: str | None, success: bool, channel: str, context: str, exten: str,
                       reason: int, uniqueid: str, cid_num: str, cid_name: str) -> Fields:
    fields: Fields = [("ActionID", action_id)] if action_id is not None else []
    return fields + [
        ("Response", "Success" if success else "Failure"), ("Channel", channel), ("Context", context),
        ("Exten", exten), ("Reason", str(reason)), ("Uniqueid", uniqueid),
        ("CallerIDNum", or_unknown(cid_num)), ("CallerIDName", or_unknown(cid_name)),
    ]


def with_action_id(head: Fields, action_id: str | None, tail: Fields = ()) -> Fields:
    """Insert ``ActionID`` (when the client sent one) between two field blocks."""
    middle: Fields = [("ActionID", action_id)] if action_id is not None else []
    return list(head) + middle + list(tail)


def queue_member_item(m: Member, queue: str) -> Fields:
    """QueueStatus list item ``QueueMember`` (without ActionID)."""
    return [
        ("Event", "QueueMember"), ("Queue", queue), ("Name", m.name), ("Location", m.interface),
        ("StateInterface", m.interface), ("Membership", m.membership), ("Penalty", str(m.penalty)),
        ("CallsTaken", str(m.calls_taken)), ("LastCall", str(m.last_call)),
        ("LastPause", str(m.last_pause)), ("LoginTime", str(m.login_time)),
        ("InCall", "1" if m.in_call else "0"), ("Status", str(m.status)),
        ("Paused", "1" if m.paused else "0"), ("PausedReason", m.paused_reason if m.paused else ""),
        ("Wrapuptime", "0"),
    ]


def queue_params_item(q: Queue) -> Fields:
    return [
        ("Event", "QueueParams"), ("Queue", q.name), ("Max", "0"), ("Strategy", q.strategy),
        ("Calls", str(len(q.callers))), ("Holdtime", str(q.holdtime)), ("TalkTime", str(q.talktime)),
        ("Completed", str(q.completed)), ("Abandoned", str(q.abandoned)),
        ("ServiceLevel", str(q.servicelevel)), ("ServicelevelPerf", f"{q.sl_perf():.1f}"),
        ("ServicelevelPerf2", f"{q.sl_perf2():.1f}"), ("Weight", "0"),
    ]


def queue_entry_item(q: Queue, position: int, ch: Channel, wait: int) -> Fields:
    return [
        ("Event", "QueueEntry"), ("Queue", q.name), ("Position", str(position)), ("Channel", ch.name),
        ("Uniqueid", ch.uniqueid), ("CallerIDNum", ch.cid_num or "unknown"),
        ("CallerIDName", ch.cid_name or "unknown"), ("ConnectedLineNum", ch.cl_num or "unknown"),
        ("ConnectedLineName", ch.cl_name or "unknown"), ("Wait", str(wait)), ("Priority", "0"),
    ]


def list_complete(event: str, action_id: str | None, count: int) -> Fields:
    return with_action_id([("Event", event)], action_id, [("EventList", "Complete"), ("ListItems", str(count))])
