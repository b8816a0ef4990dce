"""Ready-made scenarios: each builds a call script and starts the call.

Every function returns a :class:`CallHandle`; ``await handle`` (or
``await handle.wait()``) gives the call's result dict when it has ended::

    handle = start_inbound(pbx, caller="+8613800138000", name="Zhang San",
                           answer_by="PJSIP/1001", after=2, talk=3)
    result = await handle      # {'outcome': 'answered', 'agent': 'PJSIP/1001', ...}
"""

from __future__ import annotations

import asyncio
from dataclasses import fields

from .call import CallBase
from .model import Pbx
from .clicktodial import originate_call
from .originate import OriginateRequest
from .queuecall import CallScript, InboundCall

SCRIPT_FIELDS = {f.name for f in fields(CallScript)}
ZHANG_SAN, LI_SI, WANG_WU = ("+8613800138000", "Zhang San"), ("+8613912345678", "Li Si"), ("+8618612345678", "Wang Wu")


class CallHandle:
    """A running simulated call."""

    def __init__(self, call: CallBase) -> None:
        self.call = call

    @property
    def linkedid(self) -> str:
        """The call's Linkedid (the customer leg's Uniqueid), once it exists."""
        return self.call.linkedid

    @property
    def channel(self) -> str:
        """The customer leg's channel name (``PJSIP/carrier-…``)."""
        return self.call.caller.name if self.call.caller else ""

    @property
    def agent_channel(self) -> str:
        """The answering phone's channel name, once answered."""
        winner = getattr(self.call, "winner", None)
        return winner.ch.name if winner is not None and winner.ch is not None else ""

    @property
    def finished(self) -> bool:
        return self.call.done.done()

    @property
    def result(self) -> dict:
        return self.call.result

    async def started(self) -> CallHandle:
        """Wait until the customer leg exists."""
        while self.call.caller is None and not self.call.done.done():
            await asyncio.sleep(0)
        return self

    async def wait(self, timeout: float | None = None) -> dict:
        return await asyncio.wait_for(asyncio.shield(self.call.done), timeout)

    def __await__(self):
        return self.wait().__await__()


def recorded_caller(number: str | None, name: str | None, recorded: tuple[str, str]) -> tuple[str, str]:
    """(number, name) of a scenario's caller: the ``recorded`` one when no number is given
    (a ``name`` alone renames it); a number given without a name has no name."""
    if number is None:
        return recorded[0], recorded[1] if name is None else name
    return number, name or ""


def with_caller(kwargs: dict, recorded: tuple[str, str]) -> dict:
    """``kwargs`` whose ``caller``/``name`` follow :func:`recorded_caller`."""
    caller, name = recorded_caller(kwargs.get("caller"), kwargs.get("name"), recorded)
    return kwargs | {"caller": caller, "name": name}


def script_from(kwargs: dict) -> CallScript:
    unknown = set(kwargs) - SCRIPT_FIELDS
    if unknown:
        raise TypeError(f"unknown scenario parameter(s): {', '.join(sorted(unknown))}")
    return CallScript(**kwargs)


def start_inbound(pbx: Pbx, **kwargs) -> CallHandle:
    """An inbound call into the queue; parameters are :class:`CallScript` fields.
    Without ``caller`` Zhang San calls; a ``caller`` without ``name`` has no name."""
    return CallHandle(InboundCall(pbx, script_from(with_caller(kwargs, ZHANG_SAN))).start())


def start_answered(pbx: Pbx, agent: str = "PJSIP/1001", after: float = 2.0, talk: float = 3.0,
                   **kwargs) -> CallHandle:
    """Ringall; ``agent`` answers after ``after`` s (first to answer wins), talks ``talk`` s."""
    return start_inbound(pbx, answer_by=agent, after=after, talk=talk, **kwargs)


def start_abandoned(pbx: Pbx, patience: float = 5.0, **kwargs) -> CallHandle:
    """Nobody answers; the caller (Li Si unless given) hangs up after ``patience`` s in the queue."""
    return start_inbound(pbx, answers={}, patience=patience, **with_caller(kwargs, LI_SI))


def start_ring_no_answer(pbx: Pbx, patience: float = 20.0, **kwargs) -> CallHandle:
    """All phones ring 15 s (AgentRingNoAnswer), retry after 2 s, the caller (Wang Wu unless given) gives up."""
    return start_inbound(pbx, answers={}, patience=patience, style="noanswer", **with_caller(kwargs, WANG_WU))


def start_anonymous(pbx: Pbx, withheld: bool = False, **kwargs) -> CallHandle:
    """A caller without caller ID (``<unknown>``), or ``"Anonymous" <anonymous>``."""
    caller, name = ("anonymous", "Anonymous") if withheld else ("", "")
    return start_inbound(pbx, caller=caller, name=name, **kwargs)


def start_transferred(pbx: Pbx, agent: str = "PJSIP/1001", to: str = "1002", after: float = 2.0,
                      transfer_after: float = 2.0, via: str = "pbx", **kwargs) -> CallHandle:
    """``agent`` answers, then blind-transfers to extension ``to`` (``via='ami'``: the
    PBX waits, clock stopped, for the client's BlindTransfer action)."""
    return start_inbound(pbx, answer_by=agent, after=after, transfer_to=to, transfer_after=transfer_after,
                         transfer_via=via, style="transfer", **kwargs)


def start_direct(pbx: Pbx, agent: str = "PJSIP/1001", after: float | None = 2.0, talk: float = 3.0,
                 **kwargs) -> CallHandle:
    """A queue call offered to one agent only (whatever the others do)."""
    answers = {agent: after} if after is not None else {}
    return start_inbound(pbx, only=agent, answers=answers, talk=talk, **kwargs)


def start_originate(pbx: Pbx, channel: str, context: str = "callback", exten: str = "s",
                    variables: dict | list | None = None, caller_id: tuple[str, str] | None = None,
                    timeout: float = 30.0, action_id: str | None = None, **script) -> CallHandle:
    """An Originate as if a client had sent it with ``Async: true`` (OriginateResponse included)."""
    config = pbx.config
    cid = caller_id or (config.company_number, config.company_name)
    items = list(variables.items()) if isinstance(variables, dict) else list(variables or [])
    request = OriginateRequest(channel=channel, context=context, exten=exten, cid_num=cid[0],
                               cid_name=cid[1], variables=items, timeout=timeout, is_async=True,
                               action_id=action_id)
    call_script = script_from(script) if script else None
    return CallHandle(originate_call(pbx, request, script=call_script).start())


def start_callback(pbx: Pbx, number: str | None = None, name: str | None = None,
                   action_id: str | None = None, **script) -> CallHandle:
    """Callback via Originate into context ``callback`` (joins the queue once answered); to Zhang San
    unless ``number`` is given, ``CB_NAME`` only when there is a name."""
    number, name = recorded_caller(number, name, ZHANG_SAN)
    variables = [("CB_NUMBER", number)] + ([("CB_NAME", name)] if name else [])
    if script:
        script.setdefault("caller", number)
        script.setdefault("name", name)
    return start_originate(pbx, f"PJSIP/{number}@{pbx.config.trunk}", "callback", "s", variables,
                           action_id=action_id, **script)


def start_survey(pbx: Pbx, number: str = "+8613800138000", campaign: str = "csat-2026-08",
                 action_id: str | None = None) -> CallHandle:
    """Survey via Originate into context ``survey``; the key pressed is the number's ``dtmf``."""
    variables = [("CAMPAIGN", campaign), ("CONTACT", number)]
    return start_originate(pbx, f"PJSIP/{number}@{pbx.config.trunk}", "survey", "s", variables,
                           action_id=action_id)


def start_click_to_dial(pbx: Pbx, agent: str = "PJSIP/1001", number: str = "+8613800138000",
                        context: str = "from-phones", action_id: str | None = None) -> CallHandle:
    """The agent's phone rings first; once answered the PBX dials ``number`` over the trunk."""
    return start_originate(pbx, agent, context=context, exten=number, action_id=action_id)
