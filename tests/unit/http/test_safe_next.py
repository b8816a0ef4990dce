"""Where a login or a language switch may send the browser next: a path of this console, nothing else.

Each bypass below is a known way to turn a "local" redirect into ``Location: //evil.example``
(browsers drop tabs and newlines, read ``\\`` as ``/``, trim leading spaces and controls).
"""

from __future__ import annotations

import pytest

from cti.http.auth import safe_next

BYPASSES = [
    "//evil.example",
    "//evil.example/",
    "///evil.example",
    "/\\evil.example",
    "\\/\\/evil",
    "\\\\evil.example",
    "/\t/evil.example",  # what ?next=/%09/evil.example/ arrives as, once decoded
    "/\t/evil.example/",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\x00/evil",
    "/\x0b/evil",
    "/\x7f/evil",
    "/\x85/evil",  # C1 control (NEL)
    "/ /evil",
    " //evil",
    " /calls",
    "/calls ",
    "\t/calls",
    "/\u3000/evil",  # ideographic space
    "/\u00a0/evil",  # no-break space
    "/\u2028/evil",  # line separator
    "/\u200b/evil",  # zero-width space (a format character)
    "/\ufeff/evil",  # byte order mark
    "https://evil.example",
    "http:/evil",
    "http:evil",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/%2F..",
    "evil.example",
    "calls",
    "",
    "/calls?q=" + "a" * 10_000,  # over-long
]

LOCAL = [
    "/",
    "/calls",
    "/customers?q=%E5%BC%A0",
    "/customers?q=张三",
    "/calls?since=2026-11-01#x",
    "/calls?disposition=missed&page=2",
    "/customers/12",
    "/a:b",  # a colon in the path is not a scheme when the path starts with "/"
    "/%2F/evil.example",  # stays a path: browsers do not decode %2F into an authority
]


@pytest.mark.parametrize("target", BYPASSES, ids=lambda t: ascii(t)[:40])
def test_a_target_that_could_leave_the_console_falls_back_to_home(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", LOCAL, ids=ascii)
def test_a_path_of_this_console_is_kept_as_it_is(target):
    assert safe_next(target) == target


def test_nothing_given_means_home():
    assert safe_next(None) == "/"
