"""The AMI ``Status`` action's list items, as Asterisk 22 writes them (``main/manager.c``).

There is no recording of ``Status``: the fields, their order and their values follow
``action_status``/``generate_status`` of the recorded build (asterisk 22 at ``69535d4837``)::

    Event: Status / Privilege: Call / <channel state string> / Type / DNID /
    EffectiveConnectedLineNum / EffectiveConnectedLineName / TimeToHangup / BridgeID /
    Application / Data / Nativeformats / Readformat / Readtrans / Writeformat / Writetrans /
    Callgroup / Pickupgroup / Seconds / Variable: NAME=value … / ActionID

A ``Variables: A,B`` header asks for ``Variable: A=…`` lines, looked up as ``pbx_retrieve_variable``
does: a few built-in names, then the channel's variables, then the globals. A name found nowhere is
passed as NULL to ``%s``, which glibc prints ``(null)``; so is the application of a channel that has
not run one yet. The media fields are those of the recorded PBX (ulaw only, no transcoding); the
translation paths Asterisk shows while a prompt plays are not modelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import events as ev

if TYPE_CHECKING:  # pragma: no cover
    from .model import Channel, Pbx

NULL = "(null)"  # glibc's rendering of a NULL string
CODEC = "ulaw"


def find(pbx: Pbx, name: str) -> Channel | None:
    """``ast_channel_get_by_name``: the channel of that name, else of that Uniqueid (both case-insensitive)."""
    wanted = name.lower()
    for ch in pbx.channels.values():
        if ch.name.lower() == wanted:
            return ch
    return next((ch for ch in pbx.channels.values() if ch.uniqueid.lower() == wanted), None)


def variable_names(header: str) -> list[str]:
    """``Variables: A,B``: split on commas as ``AST_STANDARD_APP_ARGS`` does (no trimming)."""
    return header.split(",") if header else []


def lookup(pbx: Pbx, ch: Channel, name: str) -> str | None:
    """``pbx_retrieve_variable``: built-ins, the channel's variables, the globals; None when unset.
    A function (``NAME(…)``) reads as empty: the simulator evaluates none."""
    if name.endswith(")"):
        return ""
    builtin = {"EXTEN": ch.exten, "CONTEXT": ch.context, "PRIORITY": str(ch.priority), "CHANNEL": ch.name,
               "UNIQUEID": ch.uniqueid}
    if name in builtin:
        return builtin[name]
    if name in ch.variables:
        return ch.variables[name]
    return pbx.global_variables().get(name)


def status_item(pbx: Pbx, ch: Channel, names: list[str], action_id: str | None) -> ev.Fields:
    """One ``Event: Status`` message (complete, with ``Event`` and ``Privilege``)."""
    seconds = int(pbx.clock.nominal_since(ch.mono_created))
    fields: ev.Fields = [("Event", "Status"), ("Privilege", "Call")] + ev.snapshot(ch) + [
        ("Type", "PJSIP"), ("DNID", ch.dnid),
        ("EffectiveConnectedLineNum", ev.or_unknown(ch.cl_num)),
        ("EffectiveConnectedLineName", ev.or_unknown(ch.cl_name)),
        ("TimeToHangup", "0"), ("BridgeID", ch.bridge.uniqueid if ch.bridge else ""),
        ("Application", ch.app or NULL), ("Data", ch.appdata if ch.app else NULL),
        ("Nativeformats", f"({CODEC})"), ("Readformat", CODEC), ("Readtrans", ""),
        ("Writeformat", CODEC), ("Writetrans", ""), ("Callgroup", "0"), ("Pickupgroup", "0"),
        ("Seconds", str(seconds)),
    ]
    for name in names:
        value = lookup(pbx, ch, name)
        fields.append(("Variable", f"{name}={NULL if value is None else value}"))
    if action_id:
        fields.append(("ActionID", action_id))
    return fields


def status_complete(count: int, action_id: str | None) -> ev.Fields:
    """``StatusComplete``: the list's end, with ``Items`` after ``ListItems``."""
    head: ev.Fields = [("Event", "StatusComplete")] + ([("ActionID", action_id)] if action_id else [])
    return head + [("EventList", "Complete"), ("ListItems", str(count)), ("Items", str(count))]
