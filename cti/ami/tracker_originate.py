"""Originate bookkeeping: OriginateResponse, a synchronous Originate's error, the attempt-id variable.

An Originate's real failure reason is the Hangup Cause of the leg it dialled,
not the response's ``Reason``; the response may come before or after that
Hangup, and names the requested dial string (``PJSIP/+86…@carrier``), not
the channel. Calls are matched to responses by that dial string, oldest first.
"""

from __future__ import annotations

from cti.events import Direction
from cti.ami.tracker_base import Msg, Out, TrackerBase, Unclaimed

NO_CHANNEL_TEXT = "No channel created"


class OriginateHandlers(TrackerBase):
    def _on_originate_response(self, msg: Msg, now: float, out: Out) -> None:
        action_id = msg.get("ActionID", "")
        if msg.get("Response") == "Success":
            self._originate_succeeded(msg, action_id, now)
            return
        if not action_id or action_id in self._failed_ids:
            return
        reason = self._int(msg, "Reason")
        requested = msg.get("Channel", "")
        record = self._claim_ended(requested)
        if record is not None:
            self._originate_failed(
                action_id, requested, record.cause, record.cause_text, reason, now, out
            )
            return
        if self._claim_live(requested, action_id, reason, now):
            return  # OriginateFailed goes out when that call's last leg hangs up
        self._originate_failed(action_id, requested, 0, NO_CHANNEL_TEXT, reason, now, out)

    def _originate_succeeded(self, msg: Msg, action_id: str, now: float) -> None:
        call = self._call_of_leg(msg.get("Uniqueid", ""), now)
        if call is None:
            return
        call.response_seen = True
        if not call.action_id:
            call.action_id = action_id
        if call.picked_up_at is None and not call.agent_first:  # agent first: the agent took it, not the customer
            call.picked_up_at = now
        if call.direction is Direction.INBOUND and not call.dnis:
            exten = msg.get("Exten", "")
            call.dnis = "" if exten == "s" else exten
        for key in call.origin_keys:
            self._unindex(key, call.call_id)
        call.origin_keys.clear()

    def _claim_ended(self, requested: str) -> Unclaimed | None:
        for record in self._unclaimed:
            if requested in record.keys:
                self._unclaimed.remove(record)
                return record
        return None

    def _claim_live(self, requested: str, action_id: str, reason: int, now: float) -> bool:
        ids = self._originating.get(requested)
        while ids:
            call = self._calls.get(ids[0])
            if call is None:
                self._unindex(requested, ids[0])
                ids = self._originating.get(requested)
                continue
            self._unindex(requested, call.call_id)
            for key in call.origin_keys:
                self._unindex(key, call.call_id)
            call.origin_keys.clear()
            if call.picked_up_at is None and call.failure is None:
                self._touch(call, now)
                call.failure = (action_id, reason)
                call.dial_string = call.dial_string or requested
                call.response_seen = True
                call.action_id = call.action_id or action_id
                return True
            ids = self._originating.get(requested)
        return False

    def _on_response(self, msg: Msg, now: float, out: Out) -> None:
        """An Originate refused at once: ``Response: Error`` → OriginateFailed (cause 0).

        Recognised by ``Message: Originate failed`` (a synchronous Originate
        that could not reach the far end), or by an ``Action: Originate``
        header the caller adds to a refusal it knows is an Originate's
        (Asterisk never sends ``Action`` in a response; its other messages,
        like ``Channel not specified``, are shared with other actions). A
        channel created afterwards cannot be tied to the ActionID (the error
        is written before the channel's events), so the cause stays 0.
        """
        if msg.get("Response") != "Error":
            return
        message = msg.get("Message", "")
        if message != "Originate failed" and msg.get("Action") != "Originate":
            return
        action_id = msg.get("ActionID", "")
        if action_id:
            self._originate_failed(action_id, "", 0, message or "Originate refused", 0, now, out)

    def _on_varset(self, msg: Msg, now: float, out: Out) -> None:
        """The attempt id carried as a channel variable (``Variable: CTI_ACTION_ID=…`` on Originate).
        VarSet is of the ``dialplan`` class: only an AMI user that reads it gets the id this early."""
        if msg.get("Variable", "").lstrip("_") != self.action_id_var:
            return
        call = self._call_of(msg, now)
        if call is not None and not call.action_id:
            call.action_id = msg.get("Value", "")
