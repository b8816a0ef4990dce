"""The dialplan an answered originated leg runs: ``callback``, ``survey``, or a ``hotline-*`` context (hotline.py).

``callback``: NoOp, Set(__CTI_DIRECTION=callback), caller ID set to the
customer (``CB_NUMBER``/``CB_NAME``), CDR userfield, Queue(support,,,,60).
``survey``: NoOp, Answer, Playback(auth-thankyou), Read(RATING,beep,1,,1,10),
UserEvent(SurveyResult,Campaign: …,Contact: …,Rating: …), Playback(vm-goodbye),
Hangup. Any other context: the PBX hangs up.
"""

from __future__ import annotations

from . import events as ev
from .call import Command

# dialplans/hotline.conf's campaign contexts that start at the trunk leg (hotline.py)
HOTLINE_CONTEXTS = {"hotline-callback": "hotline_callback", "hotline-survey": "hotline_survey",
                    "hotline-notify": "hotline_notify"}


class DialplanMixin:
    """Mixin for OriginateCall."""

    async def run_dialplan(self) -> None:
        context = self.caller.context
        if context == "callback":
            await self.callback()
        elif context == "survey":
            await self.survey()
        elif context in HOTLINE_CONTEXTS:
            await getattr(self, HOTLINE_CONTEXTS[context])()
        else:
            self.result["outcome"] = "answered"
            self.step(self.request.priority, "NoOp", f"No dialplan simulated for {context}")
            self.hang_up_originated("Hangup", "")

    # -- callback ----------------------------------------------------------------------
    async def callback(self) -> None:
        ch = self.caller
        number, name = self.request.variable("CB_NUMBER"), self.request.variable("CB_NAME")
        self.step(1, "NoOp", f"Callback to {number} answered")
        self.step(2, "Set", "__CTI_DIRECTION=callback")
        self.var(ch, "__CTI_DIRECTION", "callback")
        self.inherit.append(("__CTI_DIRECTION", "callback"))
        self.step(3, "ExecIf", f"{1 if number else 0}?Set(CALLERID(num)={number})")
        if number:
            ch.cid_num = number
            self.emit("NewCallerid", ev.snapshot(ch) + [("CID-CallingPres", ev.CALLING_PRES)])
        self.step(4, "ExecIf", f"{1 if name else 0}?Set(CALLERID(name)={name})")
        if name:
            ch.cid_name = name
            self.emit("NewCallerid", ev.snapshot(ch) + [("CID-CallingPres", ev.CALLING_PRES)])
        self.userfield = "callback"
        self.step(5, "Set", "CDR(userfield)=callback")
        self.step(6, "Queue", self.queue_data)
        await self.queue_flow()

    # -- survey --------------------------------------------------------------------------
    async def survey(self) -> None:
        ch, config, behavior = self.caller, self.pbx.config, self.behavior
        campaign, contact = self.request.variable("CAMPAIGN"), self.request.variable("CONTACT")
        self.result["state"] = "survey"
        self.step(1, "NoOp", f"Survey {campaign} for {contact}")
        self.step(2, "Answer", "")
        self.step(3, "Playback", "auth-thankyou")
        if await self._survey_wait(config.survey_prompt):
            return
        self.var(ch, "PLAYBACKSTATUS", "SUCCESS")
        self.step(4, "Read", f"RATING,beep,1,,1,{int(config.survey_read_timeout)}")
        self.var(ch, "READSTATUS", "ERROR")
        key = (behavior.dtmf or "")[:1]
        if await self._survey_wait(behavior.dtmf_after if key else config.survey_read_timeout):
            return
        if key:
            self.emit("DTMFBegin", ev.snapshot(ch) + [("Digit", key), ("Direction", "Received")])
            self.emit("DTMFEnd", ev.snapshot(ch) + [("Digit", key), ("DurationMs", "200"),
                                                    ("Direction", "Received")])
        self.var(ch, "RATING", key)
        self.var(ch, "READSTATUS", "OK" if key else "TIMEOUT")
        self.step(5, "UserEvent", f"SurveyResult,Campaign: {campaign},Contact: {contact},Rating: {key}")
        self.emit("UserEvent", ev.snapshot(ch) + [("UserEvent", "SurveyResult"), ("Campaign", campaign),
                                                  ("Contact", contact), ("Rating", key)])
        self.result.update(outcome="answered", rating=key)
        self.step(6, "Playback", "vm-goodbye")
        if await self._survey_wait(config.survey_goodbye):
            return
        self.var(ch, "PLAYBACKSTATUS", "SUCCESS")
        self.step(7, "Hangup", "")
        self.hang_up_originated("Hangup", "")

    async def _survey_wait(self, seconds: float) -> bool:
        """Wait; True when the customer (or an AMI Hangup) ended the call meanwhile."""
        got = await self.sleep(seconds)
        if isinstance(got, Command) and got.kind == "hangup":
            self.result.setdefault("outcome", "hungup")
            self.emit("HangupRequest" if got.extra.get("remote") else "SoftHangupRequest",
                      ev.hangup_request(self.caller, got.cause))
            self.qos(self.caller)
            self._survey_cdr(self.caller.app, self.caller.appdata)
            self.emit_cdrs()
            self.hangup(self.caller, got.cause)
            self.pbx.check_device(self.pbx.trunk_device())
            return True
        return False

    def _survey_cdr(self, lastapp: str, lastdata: str) -> None:
        record = self.cdr_record("", lastapp, lastdata, 0.0, "ANSWERED")
        record.update(dst=self.caller.exten, dcontext=self.caller.context)

    def hang_up_originated(self, lastapp: str, lastdata: str) -> None:
        """The dialplan ended: SoftHangupRequest, RTP stats, Cdr, Hangup, trunk state."""
        self.emit("SoftHangupRequest", ev.hangup_request(self.caller, 16))
        self.qos(self.caller)
        self._survey_cdr(lastapp, lastdata)
        self.emit_cdrs()
        self.hangup(self.caller, 16)
        self.pbx.check_device(self.pbx.trunk_device())
