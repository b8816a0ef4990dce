"""Dialplan applications an answered originated leg runs, one ``Newexten`` each, as the traces show them.

``Playback`` ends with ``VarSet PLAYBACKSTATUS``; ``Read`` sets ``READSTATUS=ERROR``, then (a key)
``DTMFBegin``/``DTMFEnd``, the variable and ``READSTATUS`` (sip_survey_rated / sip_survey_no_input);
``Set`` of a variable is a ``VarSet``; ``UserEvent`` is the channel snapshot, ``UserEvent: <name>`` and
the ``Key: value`` pairs in the order written. A wait returns True when the call ended meanwhile (the
customer or an AMI Hangup); the caller of the helper then stops its dialplan.
"""

from __future__ import annotations

from . import events as ev

DTMF_MS = "200"  # DurationMs of a key, as recorded
READ_TERMINATOR = "#"  # ends Read without adding a digit


class IvrMixin:
    """Mixin for OriginateCall (uses ``step``, ``_survey_wait`` and the CallBase helpers)."""

    def chan_var(self, name: str) -> str:
        """A variable of the customer leg (what ``${NAME}`` gives the dialplan); '' when unset."""
        return self.caller.variables.get(name, "")

    def set_var(self, priority: int, name: str, value: str) -> None:
        self.step(priority, "Set", f"{name}={value}")
        self.var(self.caller, name, value)
        if name.startswith("_"):
            self.inherit.append((name, value))

    def set_language(self, priority: int) -> str:
        """``Set(CHANNEL(language)=…)`` from CTI_LANGUAGE, zh when empty; later events carry it."""
        language = self.chan_var("CTI_LANGUAGE") or "zh"
        self.step(priority, "Set", f"CHANNEL(language)={language}")
        self.caller.language = language
        return language

    def goto_if(self, priority: int, condition: bool, label: str) -> bool:
        self.step(priority, "GotoIf", f"{1 if condition else 0}?{label}")
        return condition

    async def playback(self, priority: int, prompt: str, seconds: float, exists: bool = True) -> bool:
        """``Playback(prompt)``; True when the call ended while it played. A missing file fails at once."""
        self.step(priority, "Playback", prompt)
        if exists and await self._survey_wait(seconds):
            return True
        self.var(self.caller, "PLAYBACKSTATUS", "SUCCESS" if exists else "FAILED")
        return False

    async def read_key(self, priority: int, variable: str, prompt: str, timeout: int, prompt_no: int) -> str | None:
        """``Read(variable,prompt,1,,1,timeout)`` with the number's key for its ``prompt_no``-th prompt;
        the value read ('' for none), or None when the call ended meanwhile."""
        ch, config = self.caller, self.pbx.config
        self.step(priority, "Read", f"{variable},{prompt},1,,1,{timeout}")
        self.var(ch, "READSTATUS", "ERROR")
        key = self.behavior.key(prompt_no)
        if await self._survey_wait(self.behavior.dtmf_after if key else config.survey_prompt + timeout):
            return None
        if key:
            self.emit("DTMFBegin", ev.snapshot(ch) + [("Digit", key), ("Direction", "Received")])
            self.emit("DTMFEnd", ev.snapshot(ch) + [("Digit", key), ("DurationMs", DTMF_MS),
                                                    ("Direction", "Received")])
        value = "" if key == READ_TERMINATOR else key
        self.var(ch, variable, value)
        self.var(ch, "READSTATUS", "OK" if key else "TIMEOUT")
        return value

    def user_event(self, priority: int, name: str, fields: ev.Fields) -> None:
        """``UserEvent(name,Key: value,…)`` and the event it sends."""
        self.step(priority, "UserEvent", ",".join([name] + [f"{key}: {value}" for key, value in fields]))
        self.emit("UserEvent", ev.snapshot(self.caller) + [("UserEvent", name)] + list(fields))

    def caller_id_from_contact(self, priority: int) -> None:
        """The two ``ExecIf`` of [callback]: the leg takes CB_NUMBER / CB_NAME as its caller ID."""
        ch = self.caller
        number, name = self.chan_var("CB_NUMBER"), self.chan_var("CB_NAME")
        self.step(priority, "ExecIf", f"{1 if number else 0}?Set(CALLERID(num)={number})")
        if number:
            ch.cid_num = number
            self.emit("NewCallerid", ev.snapshot(ch) + [("CID-CallingPres", ev.CALLING_PRES)])
        self.step(priority + 1, "ExecIf", f"{1 if name else 0}?Set(CALLERID(name)={name})")
        if name:
            ch.cid_name = name
            self.emit("NewCallerid", ev.snapshot(ch) + [("CID-CallingPres", ev.CALLING_PRES)])

    def hang_up_here(self, priority: int) -> None:
        """``Hangup()``: the PBX ends the call."""
        self.step(priority, "Hangup", "")
        self.hang_up_originated("Hangup", "")
