"""AMI action handlers: responses and texts exactly as Asterisk 22 writes them.

A handler gets the session and the parsed action, writes the response to the
session first and then changes the model (whose events follow), which is
the order the traces show.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from . import events as ev
from . import permissions, status
from .call import Command
from .clicktodial import originate_call
from .originate import parse_originate
from .protocol import Action

if TYPE_CHECKING:  # pragma: no cover
    from .server import AmiServer, AmiSession

ASTERISK_VERSION = "GIT-22-22.0.0-pre1-541-g69535d4837"
OPEN_ACTIONS = {"login", "logoff", "challenge"}


def response(action: Action, kind: str, message: str | None = None, extra: ev.Fields = ()) -> ev.Fields:
    """``Response``, ``ActionID`` (when sent), then ``Message``/extra fields."""
    fields: ev.Fields = [("Response", kind)]
    if action.action_id is not None:
        fields.append(("ActionID", action.action_id))
    if message is not None:
        fields.append(("Message", message))
    return fields + list(extra)


def true(value: str) -> bool:
    return value.strip().lower() in {"yes", "true", "y", "t", "1", "on"}


class ActionHandlers:
    """One method per supported action, ``do_<lowercase name>``."""

    def __init__(self, server: AmiServer) -> None:
        self.server = server
        self.pbx = server.pbx

    async def handle(self, session: AmiSession, action: Action) -> None:
        name = action.name
        self.server.record(session, action)
        if not name:
            session.send_fields(response(action, "Error", "Missing action in request"))
            return
        key = name.lower()
        if not session.authenticated and key not in OPEN_ACTIONS:
            self.refuse(session, action)
            return
        if permissions.is_registered(name) and not permissions.may_run(session.writeperm, name):
            self.refuse(session, action)  # process_message: the write classes miss the authority
            return
        handler = getattr(self, "do_" + key, None)
        if handler is None:
            self.unknown(session, action)
            return
        await handler(session, action)

    def refuse(self, session: AmiSession, action: Action) -> None:
        """manager.c ``process_message`` refusing an action (before login, or without the write class
        its authority needs): ``Permission denied``, and ``report_req_not_allowed``'s security event
        (queued, so it reaches a session after the answer)."""
        session.send_fields(response(action, "Error", "Permission denied"))
        self.security_event("RequestNotAllowed", session, action)

    def security_event(self, event: str, session: AmiSession, action: Action) -> None:
        """RequestNotAllowed / RequestBadFormat (main/security_events.c: the required fields, then the
        optional ones): ``AccountID`` is required in the first, optional (so last) in the second."""
        head = [("EventTV", ev.event_tv()), ("Severity", "Error"), ("Service", "AMI"), ("EventVersion", "1")]
        body = [("SessionID", session.session_id), ("LocalAddress", session.local_address),
                ("RemoteAddress", session.remote_address), ("RequestType", f"Action: {action.name}"),
                ("SessionTV", ev.event_tv(session.login_epoch))]
        account = [("AccountID", session.username)]
        self.pbx.emit(event, head + account + body if event == "RequestNotAllowed" else head + body + account)

    def unknown(self, session: AmiSession, action: Action) -> None:
        session.send_fields(response(action, "Error", f"Invalid/unknown command: {action.name}. "
                                     "Use Action: ListCommands to show available commands."))
        self.security_event("RequestBadFormat", session, action)

    # -- session --------------------------------------------------------------------------
    async def do_login(self, session: AmiSession, action: Action) -> None:
        config = self.pbx.config
        if action.get("Username") == config.username and action.get("Secret") == config.secret:
            session.authenticated, session.username = True, config.username
            session.login_epoch = time.time()
            self.grant(session, action.get("Events"))
            session.send_fields(response(action, "Success", "Authentication accepted"))
            if session.send_events & permissions.SYSTEM:  # action_login
                uptime = str(int(time.time() - self.pbx.started))
                session.send_event("FullyBooted", [("Uptime", uptime), ("LastReload", uptime),
                                                   ("Status", "Fully Booted")])
            self.pbx.emit("SuccessfulAuth", [
                ("EventTV", ev.event_tv(session.login_epoch)), ("Severity", "Informational"),
                ("Service", "AMI"), ("EventVersion", "1"), ("AccountID", session.username),
                ("SessionID", session.session_id), ("LocalAddress", session.local_address),
                ("RemoteAddress", session.remote_address), ("UsingPassword", "0"),
                ("SessionTV", ev.event_tv(session.login_epoch))])
            return
        self.pbx.emit("InvalidPassword", [
            ("EventTV", ev.event_tv()), ("Severity", "Error"), ("Service", "AMI"), ("EventVersion", "2"),
            ("AccountID", action.get("Username")), ("SessionID", session.session_id),
            ("LocalAddress", session.local_address), ("RemoteAddress", session.remote_address),
            ("SessionTV", "1970-01-01T00:00:00.000+0000")])
        await asyncio.sleep(self.pbx.clock.scale)  # Asterisk sleeps 1 s before refusing
        session.send_fields(response(action, "Error", "Authentication failed"))
        await session.close()

    def grant(self, session: AmiSession, events: str) -> None:
        """manager.c ``authenticate``: the user's classes copied to the session; the events it is sent
        are its read classes, narrowed by the Login's ``Events`` header when there is one."""
        config = self.pbx.config
        session.readperm = permissions.get_perm(config.read)
        session.writeperm = permissions.get_perm(config.write)
        if events:
            session.set_eventmask(events)
        else:
            session.send_events = session.readperm

    async def do_logoff(self, session: AmiSession, action: Action) -> None:
        session.send_fields(response(action, "Goodbye", "Thanks for all the fish."))
        await session.close()

    async def do_challenge(self, session: AmiSession, action: Action) -> None:
        session.send_fields(response(action, "Error", "Must specify AuthType"))

    async def do_ping(self, session: AmiSession, action: Action) -> None:
        session.send_fields(response(action, "Success", None,
                                     [("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")]))

    async def do_events(self, session: AmiSession, action: Action) -> None:
        """manager.c ``action_events``: On for a mask with classes (even ungranted ones), Off for none."""
        mask = session.set_eventmask(action.get("EventMask"))
        if mask < 0:
            session.send_fields(response(action, "Error", "Invalid event mask"))
            return
        session.send_fields(response(action, "Success", None, [("Events", "On" if mask > 0 else "Off")]))

    async def do_coresettings(self, session: AmiSession, action: Action) -> None:
        session.send_fields(response(action, "Success", None, [
            ("AMIversion", "11.0.0"), ("AsteriskVersion", ASTERISK_VERSION), ("SystemName", ""),
            ("CoreMaxCalls", "0"), ("CoreMaxLoadAvg", "0.000000"), ("CoreRunUser", ""), ("CoreRunGroup", ""),
            ("CoreMaxFilehandles", "0"), ("CoreRealTimeEnabled", "No"), ("CoreCDRenabled", "Yes"),
            ("CoreHTTPenabled", "No"), ("SoundsSearchCustomDir", "No")]))

    async def do_corestatus(self, session: AmiSession, action: Action) -> None:
        started = time.gmtime(self.pbx.started)
        date, clock = time.strftime("%Y-%m-%d", started), time.strftime("%H:%M:%S", started)
        session.send_fields(response(action, "Success", None, [
            ("CoreStartupDate", date), ("CoreStartupTime", clock), ("CoreReloadDate", date),
            ("CoreReloadTime", clock), ("CoreCurrentCalls", str(len(self.pbx.calls))),
            ("CoreProcessedCalls", str(self.pbx.processed_calls))]))

    # -- queue ------------------------------------------------------------------------------
    async def do_queuepause(self, session: AmiSession, action: Action) -> None:
        interface, paused = action.get("Interface"), action.get("Paused")
        if not interface or not paused:
            session.send_fields(response(action, "Error", "Need 'Interface' and 'Paused' parameters."))
            return
        queue = self.pbx.queue
        member = queue.find(interface) if action.get("Queue") in ("", queue.name) else None
        if member is None:
            session.send_fields(response(action, "Error", "Interface not found"))
            return
        pause = true(paused)
        word = "paused" if pause else "unpaused"
        session.send_fields(response(action, "Success", f"Interface {word} successfully"))
        self.pbx.pause_member(member, pause, action.get("Reason"))

    async def do_queueadd(self, session: AmiSession, action: Action) -> None:
        queue_name, interface = action.get("Queue"), action.get("Interface")
        if not queue_name or not interface:
            session.send_fields(response(action, "Error", "'Queue' and 'Interface' not set."))
            return
        if queue_name != self.pbx.queue.name:
            session.send_fields(response(action, "Error", "Unable to add interface to queue: No such queue"))
            return
        if self.pbx.queue.find(interface) is not None:
            session.send_fields(response(action, "Error", "Unable to add interface: Already there"))
            return
        try:
            penalty = int(action.get("Penalty") or "0")
        except ValueError:
            penalty = 0
        session.send_fields(response(action, "Success", "Added interface to queue"))
        self.pbx.add_member(interface, action.get("MemberName"), true(action.get("Paused")),
                            action.get("Reason"), penalty)

    async def do_queueremove(self, session: AmiSession, action: Action) -> None:
        queue_name, interface = action.get("Queue"), action.get("Interface")
        if not queue_name or not interface:
            session.send_fields(response(action, "Error", "Need 'Queue' and 'Interface' parameters."))
            return
        if queue_name != self.pbx.queue.name:
            session.send_fields(response(action, "Error", "Unable to remove interface from queue: No such queue"))
            return
        member = self.pbx.queue.find(interface)
        if member is None:
            session.send_fields(response(action, "Error", "Unable to remove interface: Not there"))
            return
        if member.membership != "dynamic":
            session.send_fields(response(action, "Error", "Member not dynamic"))
            return
        session.send_fields(response(action, "Success", "Removed interface from queue"))
        self.pbx.remove_member(member)

    def _queue_selected(self, action: Action) -> bool:
        return action.get("Queue") in ("", self.pbx.queue.name)

    async def do_queuestatus(self, session: AmiSession, action: Action) -> None:
        aid, queue = action.action_id, self.pbx.queue
        session.send_fields(response(action, "Success", None,
                                     [("EventList", "start"), ("Message", "Queue status will follow")]))
        items: list[ev.Fields] = []
        if self._queue_selected(action):
            member_filter = action.get("Member")
            items.append(ev.queue_params_item(queue))
            items += [ev.queue_member_item(m, queue.name) for m in queue.members
                      if not member_filter or member_filter in (m.interface, m.name)]
            items += [ev.queue_entry_item(queue, pos, call.caller, call.whole(call.t_now() - call.join_t))
                      for pos, call in enumerate(queue.callers, 1)]
        for item in items:
            session.send_fields(ev.with_action_id(item, aid))
        session.send_fields(ev.list_complete("QueueStatusComplete", aid, len(items)))

    async def do_queuesummary(self, session: AmiSession, action: Action) -> None:
        aid, queue = action.action_id, self.pbx.queue
        session.send_fields(response(action, "Success", None,
                                     [("EventList", "start"), ("Message", "Queue summary will follow")]))
        count = 0
        if self._queue_selected(action):
            waits = [call.whole(call.t_now() - call.join_t) for call in queue.callers]
            item = [("Event", "QueueSummary"), ("Queue", queue.name), ("LoggedIn", str(len(queue.members))),
                    ("Available", str(len(queue.available()))), ("Callers", str(len(queue.callers))),
                    ("HoldTime", str(queue.holdtime)), ("TalkTime", str(queue.talktime)),
                    ("LongestHoldTime", str(max(waits, default=0)))]
            session.send_fields(ev.with_action_id(item, aid))
            count = 1
        session.send_fields(ev.list_complete("QueueSummaryComplete", aid, count))

    # -- channels -----------------------------------------------------------------------------
    async def do_coreshowchannels(self, session: AmiSession, action: Action) -> None:
        aid = action.action_id
        session.send_fields(response(action, "Success", None,
                                     [("EventList", "start"), ("Message", "Channels will follow")]))
        channels = list(self.pbx.channels.values())
        for ch in channels:
            seconds = int(self.pbx.clock.nominal_since(ch.mono_created))
            duration = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            session.send_fields(ev.with_action_id([("Event", "CoreShowChannel")], aid, ev.snapshot(ch) + [
                ("Application", ch.app), ("ApplicationData", ch.appdata), ("Duration", duration),
                ("BridgeId", ch.bridge.uniqueid if ch.bridge else "")]))
        session.send_fields(ev.list_complete("CoreShowChannelsComplete", aid, len(channels)))

    async def do_status(self, session: AmiSession, action: Action) -> None:
        """``Status`` (no recording: see status.py): every channel, or the one named by ``Channel``."""
        aid, name = action.action_id or None, action.get("Channel")
        if name:
            ch = status.find(self.pbx, name)
            if ch is None:
                session.send_fields(response(action, "Error", "No such channel"))
                return
            channels = [ch]
        else:
            channels = list(self.pbx.channels.values())
        session.send_fields(ev.with_action_id([("Response", "Success")], aid, [
            ("EventList", "start"), ("Message", "Channel status will follow")]))
        names = status.variable_names(action.get("Variables"))
        for ch in channels:
            session.send_fields(status.status_item(self.pbx, ch, names, aid))
        session.send_fields(status.status_complete(len(channels), aid))

    async def do_hangup(self, session: AmiSession, action: Action) -> None:
        name = action.get("Channel")
        if not name:
            session.send_fields(response(action, "Error", "No channel specified"))
            return
        ch = self.pbx.find_channel(name)
        if ch is None:
            session.send_fields(response(action, "Error", "No such channel"))
            return
        try:
            cause = int(action.get("Cause") or "16")
        except ValueError:
            cause = 16
        session.send_fields(response(action, "Success", "Channel Hungup"))
        if ch.call is not None:
            ch.call.command(Command("hangup", ch, cause=cause))

    async def do_blindtransfer(self, session: AmiSession, action: Action) -> None:
        name, exten = action.get("Channel"), action.get("Exten")
        if not name:
            session.send_fields(response(action, "Error", "No channel specified"))
            return
        if not exten:
            session.send_fields(response(action, "Error", "No extension specified"))
            return
        ch = self.pbx.find_channel(name)
        if ch is None:
            session.send_fields(response(action, "Error", "Channel specified does not exist"))
            return
        call = ch.call
        winner = getattr(call, "winner", None)
        if ch.bridge is None or winner is None or winner.ch is not ch:
            session.send_fields(response(action, "Error", "Transfer invalid"))
            return
        session.send_fields(response(action, "Success", "Transfer succeeded"))
        call.command(Command("transfer", ch, context=action.get("Context") or "transfer", exten=exten))

    async def do_originate(self, session: AmiSession, action: Action) -> None:
        request = parse_originate(action)
        if isinstance(request, str):
            session.send_fields(response(action, "Error", request))
            return
        if request.is_async:
            session.send_fields(response(action, "Success", "Originate successfully queued"))
            originate_call(self.pbx, request).start()
            return
        answered = asyncio.get_running_loop().create_future()

        def reply(success: bool) -> None:
            message = "Originate successfully queued" if success else "Originate failed"
            session.send_fields(response(action, "Success" if success else "Error", message))
            if not answered.done():
                answered.set_result(success)

        call = originate_call(self.pbx, request, reply=reply).start()
        await asyncio.wait({answered, call.done}, return_when=asyncio.FIRST_COMPLETED)
