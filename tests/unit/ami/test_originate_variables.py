"""Originate channel variables: a value Asterisk would split or rewrite is refused before anything is sent.

Asterisk reads a ``Variable:`` header with ``__ast_app_separate_args(value, ',', 1)``
(main/manager.c ``man_do_variable_value``, main/app.c): ``,`` splits, ``"`` and
``\\`` are removed, brackets nest. The gateway refuses those characters
(``cti.ami.actions.check_variable``); the same over TCP is in
tests/integration/test_originate_variables.py.
"""

from __future__ import annotations

import re

import pytest

from cti.ami.actions import AmiGateway
from cti.ami.protocol import Reply

HOSTILE = [
    ("a,b", ","),                        # Asterisk: CB_NAME=a, and "b" dropped (no "=")
    ("Zhang,EVIL=1", ","),               # Asterisk: CB_NAME=Zhang and a second variable EVIL=1
    ('x"y', '"'),                        # Asterisk: CB_NAME=xy (the quote removed)
    ('"Zhang San"', '"'),
    ("x\\y", "\\"),                      # Asterisk: CB_NAME=xy (the backslash removed)
    ("C:\\temp", "\\"),
    ("(a", "("),                         # the rest of the header nests: a comma after it no longer splits
    ("a)", ")"),
    ("[x]", "["),
    ("x]", "]"),
    ("Li Si (VIP), Beijing", "("),       # the first refused character is named
]


class Recorder:
    """The bridge's ``send``: records every action and answers Success."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def __call__(self, fields: dict, **kwargs) -> Reply:
        self.sent.append(fields)
        return Reply({"Response": "Success", "Message": "Originate successfully queued"})


async def originate(gateway: AmiGateway, variables: dict[str, str]) -> None:
    await gateway.originate(channel="PJSIP/+8613800138000@carrier", context="callback", exten="s",
                            variables=variables, action_id="cb-1-1")


@pytest.mark.parametrize(("value", "char"), HOSTILE)
async def test_a_value_asterisk_would_split_or_rewrite_is_refused_naming_the_variable_and_the_character(value, char):
    send = Recorder()
    with pytest.raises(ValueError, match=re.escape(f"variable 'CB_NAME' contains {char!r}")):
        await originate(AmiGateway(send), {"CB_NUMBER": "+8613800138000", "CB_NAME": value})
    assert send.sent == []


async def test_cr_lf_and_control_characters_are_still_refused_as_before():
    send = Recorder()
    for value in ("a\r\nAction: Hangup", "a\nb", "a\x00b", "a\tb"):
        with pytest.raises(ValueError, match="'Variable NOTE' contains CR, LF or a control character"):
            await originate(AmiGateway(send), {"NOTE": value})
    assert send.sent == []


async def test_an_action_id_with_a_comma_is_refused_as_the_tracker_variable():
    send = Recorder()
    with pytest.raises(ValueError, match="variable 'CTI_ACTION_ID' contains ','"):
        await AmiGateway(send).originate(channel="PJSIP/1001", context="c", exten="s", action_id="cb,1")
    assert send.sent == []


@pytest.mark.parametrize("value", [
    "陈小红 🙂", "Zhang San <VIP>", "O'Brien", "a=b", "10:30? yes; no | maybe", "${EVIL}", "100% {ok}", "",
])
async def test_other_printable_text_is_sent_unchanged(value):
    send = Recorder()
    await originate(AmiGateway(send), {"NOTE": value})
    (action,) = send.sent
    assert action["Variable"] == ["CTI_ACTION_ID=cb-1-1", f"NOTE={value}"]
