"""The campaigns' contexts of dialplans/hotline.conf on an answered trunk leg, priority by priority.

``hotline-callback``, ``hotline-survey`` and ``hotline-notify`` (``hotline-dial`` starts at the
agent's phone: clicktodial.py). Each step is the ``Newexten`` of the priority the file gives it, with
the application data as Asterisk shows it (variables substituted), then what the application does
(ivr.py). Not recorded as such: the applications' events are those of the recorded ``survey`` and
``callback`` contexts. Prompts play ``SimConfig.survey_prompt`` seconds (closing ones
``survey_goodbye``); the customer's keys are the number's ``NumberBehavior.keys`` (or ``dtmf``).
"""

from __future__ import annotations

import re

from .dialphone import DialPhoneMixin
from .ivr import IvrMixin

NOTICES = ("repaired", "arrived", "extended", "waiting_parts")  # the notify-<notice> prompts that exist
VALID_RATING = re.compile(r"^[1-59]$")
SURVEY_READ_TIMEOUT = 8  # Read(RATING,hotline/survey-question,1,,1,8)
NOTIFY_READ_TIMEOUT = 6  # Read(KEY,hotline/notify-press-1,1,,1,6)
AGENT_RING = 20  # Dial(${CTI_AGENT},20)


class HotlineMixin(IvrMixin, DialPhoneMixin):
    """Mixin for OriginateCall: one method per context."""

    def attempt_fields(self) -> list[tuple[str, str]]:
        return [("Campaign", self.chan_var("CTI_CAMPAIGN")), ("Contact", self.chan_var("CTI_CONTACT")),
                ("Attempt", self.chan_var("CTI_ACTION_ID"))]

    # -- [hotline-callback] -----------------------------------------------------------------
    async def hotline_callback(self) -> None:
        config = self.pbx.config
        self.result["state"] = "callback"
        self.step(1, "NoOp", f"Callback {self.chan_var('CB_NUMBER')} attempt {self.chan_var('CTI_ACTION_ID')} answered")
        self.set_language(2)
        self.set_var(3, "__CTI_DIRECTION", "callback")
        self.caller_id_from_contact(4)
        self.userfield = f"attempt={self.chan_var('CTI_ACTION_ID')}"
        self.step(6, "Set", f"CDR(userfield)={self.userfield}")
        if await self.playback(7, "hotline/callback-intro", config.survey_prompt):
            return
        agent = self.chan_var("CTI_AGENT")
        if not self.goto_if(8, not agent, "queue"):
            self.step(9, "Dial", f"{agent},{AGENT_RING}")
            if await self.dial_phone(agent, AGENT_RING) is None:
                return
        await self.queue_step(10)

    async def queue_step(self, priority: int) -> None:
        """``Queue(<CTI_QUEUE or HOTLINE_QUEUE>,,,,<timeout>)``; a queue this PBX lacks: QUEUESTATUS=UNKNOWN."""
        queue = self.chan_var("CTI_QUEUE") or self.pbx.queue.name
        self.queue_data = f"{queue},,,,{int(self.pbx.config.queue_max_wait)}"
        self.step(priority, "Queue", self.queue_data)
        if queue == self.pbx.queue.name:
            await self.queue_flow()
            return
        for name in ("ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS", "QUEUEWAIT", "QUEUEWAIT_MS"):
            self.var(self.caller, name, "")
        self.var(self.caller, "QUEUESTATUS", "UNKNOWN")
        self.result["outcome"] = "no_queue"
        self.hang_up_here(priority + 1)

    # -- [hotline-survey] ---------------------------------------------------------------------
    async def hotline_survey(self) -> None:
        config = self.pbx.config
        self.result["state"] = "survey"
        self.step(1, "NoOp", f"Survey {self.chan_var('CTI_CAMPAIGN')} contact {self.chan_var('CTI_CONTACT')} "
                             f"attempt {self.chan_var('CTI_ACTION_ID')}")
        self.set_language(2)
        self.step(3, "Answer", "")
        self.set_var(4, "TRIES", "1")
        rating = await self.read_key(5, "RATING", "hotline/survey-question", SURVEY_READ_TIMEOUT, 0)
        if rating is None:
            return
        tries = 1
        if not self.goto_if(6, bool(VALID_RATING.match(rating)), "report"):
            tries = 2
            self.set_var(7, "TRIES", "2")
            rating = await self.read_key(8, "RATING", "hotline/survey-reprompt", SURVEY_READ_TIMEOUT, 1)
            if rating is None:
                return
            if not self.goto_if(9, bool(VALID_RATING.match(rating)), "report"):
                rating = ""
                self.set_var(10, "RATING", "")
        self.user_event(11, "SurveyResult", self.attempt_fields() + [("Rating", rating), ("Tries", str(tries))])
        self.result.update(outcome="answered", rating=rating, tries=tries)
        if self.goto_if(12, rating == "9", "optout"):
            priority, prompt = 16, "hotline/survey-optout"
        elif self.goto_if(13, rating == "", "nokey"):
            priority, prompt = 18, "hotline/goodbye"
        else:
            priority, prompt = 14, "hotline/survey-thanks"
        if await self.playback(priority, prompt, config.survey_goodbye):
            return
        self.hang_up_here(priority + 1)

    # -- [hotline-notify] ---------------------------------------------------------------------
    async def hotline_notify(self) -> None:
        config = self.pbx.config
        notice, ticket = self.chan_var("CTI_NOTICE"), self.chan_var("CTI_TICKET")
        self.result["state"] = "notify"
        self.step(1, "NoOp", f"Notice {notice} ticket {ticket} contact {self.chan_var('CTI_CONTACT')} "
                             f"attempt {self.chan_var('CTI_ACTION_ID')}")
        self.set_language(2)
        self.step(3, "Answer", "")
        if await self.playback(4, f"hotline/notify-{notice}", config.survey_prompt, exists=notice in NOTICES):
            return
        if await self.ticket_digits(5, ticket):
            return
        key = await self.read_key(11, "KEY", "hotline/notify-press-1", NOTIFY_READ_TIMEOUT, 0)
        if key is None:
            return
        self.user_event(12, "NotifyResult", self.attempt_fields() + [("Key", key)])
        self.result.update(outcome="answered", key=key)
        if not self.goto_if(13, key == "1", "agent"):
            if not await self.playback(14, "hotline/goodbye", config.survey_goodbye):
                self.hang_up_here(15)
            return
        if await self.playback(16, "hotline/connecting", config.survey_prompt):
            return
        self.set_var(17, "__CTI_DIRECTION", "callback")
        self.caller_id_from_contact(18)
        await self.queue_step(20)

    async def ticket_digits(self, priority: int, ticket: str) -> bool:
        """``hotline/ticket-number`` and the ticket's digits one by one; True when the call ended."""
        prompt = self.pbx.config.survey_prompt
        digits = "".join(c for c in ticket if c in "0123456789")  # FILTER(0-9,${CTI_TICKET})
        self.set_var(priority, "DIGITS", digits)
        if self.goto_if(priority + 1, not digits, "ask"):
            return False
        if await self.playback(priority + 2, "hotline/ticket-number", prompt):
            return True
        while digits:
            if await self.playback(priority + 3, f"hotline/digit-{digits[0]}", prompt):
                return True
            digits = digits[1:]
            self.set_var(priority + 4, "DIGITS", digits)
            self.goto_if(priority + 5, bool(digits), "digit")
        return False
