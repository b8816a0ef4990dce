"""Orders of events where Asterisk's threads race, as recorded in the traces.

When a queue rings three phones, the queue thread, the three phone channels
and the device-state taskprocessor publish events concurrently; each real
run interleaves them differently. The simulator is deterministic: for each
scenario *style* it replays the interleaving recorded in the corresponding
``sip_*`` trace (``answered`` = sip_inbound_answered, ``noanswer`` =
sip_inbound_ring_noanswer, ``transfer`` = sip_inbound_transferred,
``callback`` = sip_callback_answered, ``single`` = the one-phone ring of
sip_status_actions). A recorded pattern applies when the call has the same
number of phones as the recording; otherwise a canonical order is used.

A pattern is a list of atoms ``NAME`` or ``NAME:ROLE``; ``ROLE`` is a leg index
in ring order (``0`` = first phone rung), ``*`` (every leg, in ring order),
``W`` (the phone that answered), ``L0``/``L1``… (the others, in ring order)
or ``L*``. Atoms are implemented by ``QueueCall.a_<NAME>`` (see atoms.py).
"""

from __future__ import annotations

# Ring round. C: create the phone leg; K: AgentCalled + DialBegin; R: Newstate
# Ringing, Newexten AppQueue, NewConnectedLine; V: device state of the phone;
# Q: QueueMemberStatus (+ Queue:<q>_avail); S: DialState RINGING.
RING = {
    ("single", None, 1): "C:0 K:0 R:0 V:0 Q:0 S:0",
    ("answered", None, 3): "C:0 K:0 C:1 K:1 C:2 K:2 R:0 V:0 Q:0 S:0 R:2 R:1 V:2 Q:2 V:1 Q:1 S:2 S:1",
    ("noanswer", 0, 3): "C:0 K:0 C:1 R:0 K:1 V:0 Q:0 C:2 K:2 S:0 R:1 V:1 Q:1 R:2 S:2 S:1 V:2 Q:2",
    ("noanswer", None, 3): "C:0 K:0 C:1 K:1 C:2 K:2 R:0 V:0 Q:0 S:0 R:1 R:2 V:2 Q:2 V:1 S:2 S:1 Q:1",
    ("transfer", None, 3): "C:0 K:0 C:1 K:1 C:2 K:2 R:0 R:1 V:0 S:1 Q:0 S:0 V:1 Q:1 R:2 S:2 V:2 Q:2",
    ("callback", None, 3): "C:0 K:0 C:1 K:1 C:2 K:2 R:1 S:1 V:1 Q:1 R:0 S:0 R:2 V:0 V:2 S:2 Q:0 Q:2",
}
RING_GENERIC = ("C:* K:*", "R:{i} V:{i} Q:{i} S:{i}")

# An agent answers. U: Newstate Up; E: DialEnd ANSWER; X/Y: first/second
# DialEnd CANCEL of a losing phone; N: caller's NewConnectedLine; M: MOH stop;
# MC/MW: MEMBER* variables on caller/winner (a = first five, b = last two);
# H: Hangup cause 26; LEAVE: QueueCallerLeave block; AC: AgentConnect;
# BC/BW/BK: BridgeCreate, BridgeEnter winner, BridgeEnter caller; BP: BRIDGEPEER.
ANSWER = {
    ("single", 0): "U:W E:W N M MC MWa:W V:W MWb:W LEAVE AC Q:W BC BW BK BP",
    ("answered", 2): "U:W V:W Q:W E:W X:L0 X:L1 N Y:L0 Y:L1 M MC MW:W H:L1 V:L1 LEAVE AC H:L0 Q:L1 "
                     "BC BW V:L0 Q:L0 BK BP",
    ("transfer", 2): "U:W E:W X:L0 X:L1 N Y:L0 Y:L1 V:W H:L1 V:L1 M MC MW:W LEAVE AC BC Q:W Q:L1 "
                     "BW BK BP H:L0 V:L0 Q:L0",
    ("callback", 2): "U:W E:W V:W X:L0 X:L1 N Y:L0 Y:L1 M MCa H:L0 MCb MW:W LEAVE AC Q:W V:L0 Q:L0 "
                     "H:L1 V:L1 Q:L1 BC BW BK BP",
}
ANSWER_GENERIC = "U:W V:W E:W X:L* N Y:L* M MC MW:W H:L* V:L* LEAVE AC Q:W Q:L* BC BW BK BP"

# Every rung phone timed out (AgentRingNoAnswer). RNA, DN: DialEnd NOANSWER,
# DC: DialEnd CANCEL, HZ: Hangup cause 0.
TIMEOUT = {3: "RNA:* DN:* DC:* HZ:0 HZ:2 HZ:1 V:0 V:2 V:1 Q:0 Q:2 Q:1"}
TIMEOUT_GENERIC = "RNA:* DN:* DC:* HZ:* V:* Q:*"

# The caller hangs up while phones ring (sip_inbound_ring_noanswer, 2nd round).
ABANDON_RINGING = "QOS HR M DC:* DC:* HZ:* QEXIT ABANDON LEAVE2 SHR V:* Q:* CDR HANG VT"
# The caller hangs up while waiting, nothing rings (sip_inbound_abandoned).
ABANDON_WAITING = "QOS HR M QEXIT ABANDON LEAVE2 SHR HANG CDR VT"
# The same, ended by an AMI Hangup of the caller (member_actions, as PJSIP).
HANGUP_WAITING = "M QEXIT ABANDON LEAVE2 SHR QOS HANG CDR VT"
# The caller leaves the queue after Queue()'s own timeout (60 s).
QUEUE_TIMEOUT = "M QEXITT LEAVE2 SHR QOS HANG CDR VT"

# The agent hangs up after talking. QOSB: RTPAUDIOQOS* on the phone and
# *BRIDGED on the caller; HRW: HangupRequest of the phone; ACOMP: AgentComplete;
# BPXW/BPXC: BRIDGEPEER cleared; BLW/BLC: BridgeLeave; CEXIT: ANSWEREDTIME/
# DIALEDTIME; BD: BridgeDestroy; HANGW: Hangup of the phone; SHR: caller's
# SoftHangupRequest; QOS: caller's RTPAUDIOQOS*; HANG: caller's Hangup; VT: trunk.
COMPLETE = {
    "answered": "QOSB HRW ACOMP BPXW BPXC BLW BLC CEXIT BD HANGW SHR QOS HANG CDR V:W VT Q:W",
    "callback": "QOSB HRW ACOMP BPXW BPXC BLW BLC HANGW V:W Q:W BD CEXIT SHR QOS CDR HANG VT",
    "single": "QOSB HRW ACOMP BPXW BPXC BLW BLC BD CEXIT SHR HANGW V:W QOS Q:W HANG CDR VT",
}
# The customer hangs up while talking (no recording; mirrors the agent case).
CALLER_HANGS_UP = "QOS HR ACOMPC BPXC BPXW BLC BLW CEXIT BD SHRW QOSW HANGW V:W Q:W HANG CDR VT"


def ring_pattern(style: str, round_no: int, legs: int) -> list[str]:
    """Atoms of one ring round for ``legs`` phones."""
    if legs == 1:
        return RING[("single", None, 1)].split()
    for key in ((style, round_no, legs), (style, None, legs)):
        if key in RING:
            return RING[key].split()
    head, each = RING_GENERIC
    return head.split() + [atom for i in range(legs) for atom in each.format(i=i).split()]


def answer_pattern(style: str, losers: int) -> list[str]:
    if losers == 0:
        return ANSWER[("single", 0)].split()
    return ANSWER.get((style, losers), ANSWER_GENERIC).split()


def timeout_pattern(legs: int) -> list[str]:
    return TIMEOUT.get(legs, TIMEOUT_GENERIC).split()


def complete_pattern(style: str, losers: int) -> list[str]:
    if losers == 0:
        return COMPLETE["single"].split()
    return COMPLETE.get(style, COMPLETE["answered"]).split()
