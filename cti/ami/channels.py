"""Small, pure helpers on Asterisk channel names, interfaces and caller IDs.

>>> device_of("PJSIP/1001-0000000f"), device_of("Local/1001@agents-0000001a;1")
('PJSIP/1001', 'Local/1001@agents')
>>> canonical_interface("Local/1001@agents/n"), canonical_interface("PJSIP/1001")
('Local/1001@agents', 'PJSIP/1001')
"""

from __future__ import annotations

from cti.events import canonical_interface

__all__ = ["canonical_interface", "device_of", "dial_target", "is_unknown", "local_pair", "tech_of"]

_HEX = frozenset("0123456789abcdefABCDEF")
UNKNOWN = "<unknown>"


def _strip_local_half(channel: str) -> str:
    """``Local/x@ctx-0000001a;1`` → ``Local/x@ctx-0000001a`` (the pair's common name)."""
    if len(channel) > 2 and channel[-2] == ";" and channel[-1] in "12":
        return channel[:-2]
    return channel


def device_of(channel: str) -> str:
    """The device a channel runs on: its name without the ``-XXXXXXXX`` counter (and ``;n`` half).

    Names without such a suffix (a dial string, a device) come back unchanged.
    """
    name = _strip_local_half(channel)
    head, sep, tail = name.rpartition("-")
    if sep and head and "/" in head and tail and all(c in _HEX for c in tail):
        return head
    return name


def local_pair(channel: str) -> str:
    """The name shared by both halves of a Local channel (``""`` for other technologies)."""
    if not channel.startswith("Local/"):
        return ""
    return _strip_local_half(channel)


def is_unknown(num: str | None) -> bool:
    """True for a missing caller ID: empty or Asterisk's literal ``<unknown>``."""
    return num is None or num.strip() in ("", UNKNOWN)


def tech_of(channel: str) -> str:
    """``PJSIP/carrier-00000011`` → ``PJSIP``."""
    return channel.split("/", 1)[0] if "/" in channel else ""


def dial_target(dial_string: str) -> str:
    """The number or extension a dial string calls: ``+8613800138000@carrier`` → ``+8613800138000``."""
    return dial_string.split("@", 1)[0].rsplit("/", 1)[-1]


PHONE_TECHS = frozenset({"PJSIP", "SIP", "IAX2"})


def dials_a_phone(tech: str, dial_string: str) -> bool:
    """An Originate that rings one of our phones (``PJSIP/1001``: an endpoint of its own) rather than a
    number through a trunk (``PJSIP/+8613800138000@carrier``): click-to-dial and preview callbacks ring
    the agent first and dial the customer from the agent's leg."""
    return tech in PHONE_TECHS and "@" not in dial_string and "/" not in dial_string.strip("/")
