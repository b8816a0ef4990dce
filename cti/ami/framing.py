"""Byte-level AMI framing: bytes from the socket in, ``dict[str, str]`` messages out.

Asterisk writes a banner line (``Asterisk Call Manager/11.0.0\\r\\n``), then
messages made of ``Key: value\\r\\n`` lines, each message ended by an empty
line (``\\r\\n\\r\\n``). This module frames on *bytes* first and only then
decodes each complete frame as UTF-8 (``errors="replace"``), so a multi-byte
caller name split across two TCP reads arrives intact. It never does I/O.

Parsing rules (one place, so every consumer sees the same thing):

* A line is split on its first ``": "``: ``Message: a: b`` gives ``"a: b"``.
  ``Key: `` (and ``Key:``) give ``""``.
* A value that ends in bare LFs loses them (Asterisk sends
  ``Message: No Contacts found\\n\\r\\n\\r\\n``); LFs inside a value are kept.
* Empty lines are ignored. A non-empty line without a colon (or with an
  empty key) is skipped and counted in ``AmiFramer.malformed``; the rest of
  its frame is kept.
* Duplicate keys: the *first* value stays under the key, so ``msg[key]``
  never depends on what follows. Later values are not dropped: the n-th
  occurrence is stored as ``"Key#n"`` (``ChanVariable``, ``ChanVariable#2``,
  ...) and counted in ``AmiFramer.duplicates``.

Skipping (optional, :class:`AmiFramer` ``skip_events``/``skip_unless``): a
frame whose *first* line is ``Event: <name>`` with a name the consumer never
uses is counted in ``AmiFramer.skipped`` and never decoded nor parsed; the name
is read on the bytes. Every other frame (responses, list items, unknown
events) is parsed exactly as without skipping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from itertools import repeat

Message = dict[str, str]

_EOM = b"\r\n\r\n"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_split = str.split
_SEP = repeat(": ")  # infinite, stateless: shared by every map() below
_ONCE = repeat(1)
_EVENT = b"Event: "
_PARSE = object()  # skip rule of a name that is not skipped
Rules = dict[bytes, "bytes | None"]  # event name -> None (always skip) or bytes the frame must hold to be kept


class FrameTooLarge(ValueError):
    """The partial frame grew past the cap without a terminator.

    ``messages`` holds the complete messages parsed from the same ``feed()``
    before the oversized remainder, so that nothing already framed is lost.
    """

    def __init__(self, size: int, limit: int, messages: list[Message] | None = None) -> None:
        super().__init__(f"AMI frame of {size} bytes without terminator exceeds {limit} bytes")
        self.size = size
        self.limit = limit
        self.messages: list[Message] = messages or []


def _parse_lines(lines: list[str]) -> tuple[Message, int, int]:
    """The general line parser (see the module docstring for the rules)."""
    msg: Message = {}
    malformed = duplicates = 0
    for line in lines:
        key, sep, value = line.partition(": ")
        if not sep:
            key, sep, value = line.partition(":")
            if not sep:
                if line.strip():
                    malformed += 1
                continue
        if not key:
            malformed += 1
            continue
        if value[-1:] == "\n":
            value = value.rstrip("\n")
        if key in msg:
            duplicates += 1
            n = 2
            while f"{key}#{n}" in msg:
                n += 1
            key = f"{key}#{n}"
        msg[key] = value
    return msg, malformed, duplicates


def _parse_block(block: bytes, rules: Rules | None = None) -> tuple[list[Message], int, int, int]:
    """Parse complete frames (joined by ``\\r\\n\\r\\n``, without the last terminator).

    Returns ``(messages, malformed_lines, duplicate_keys, skipped_frames)``.
    Without ``rules`` the block is decoded once, which is equivalent to decoding
    frame by frame: frame boundaries are ASCII and the UTF-8 decoder never
    swallows an ASCII byte into a bad sequence. With ``rules`` (see
    :func:`skip_rules`) the block is split on bytes and a frame starting with
    ``Event: <name>`` whose rule says so is counted, not decoded.

    Fast path: ``dict(map(str.split, ...))`` builds a frame's dict in C; it is
    taken only when it gives exactly what :func:`_parse_lines` would (every
    line has ``": "`` and a key, no duplicate key, no bare LF).
    """
    messages: list[Message] = []
    malformed = duplicates = skipped = 0
    if rules:
        rule_of = rules.get
        frames: list[str] = []
        for raw in block.split(_EOM):
            if raw[:7] == _EVENT:
                eol = raw.find(b"\r\n", 7)
                rule = rule_of(raw[7:eol] if eol >= 0 else raw[7:], _PARSE)
                if rule is not _PARSE and (rule is None or rule not in raw):
                    skipped += 1
                    continue
            frames.append(raw.decode("utf-8", "replace"))
    else:
        frames = block.decode("utf-8", "replace").split("\r\n\r\n")
    for frame in frames:
        lines = frame.split("\r\n")
        try:
            msg = dict(map(_split, lines, _SEP, _ONCE))
        except ValueError:
            msg = None
        if (
            msg is None
            or len(msg) != len(lines)
            or "" in msg
            or frame.count("\n") != len(lines) - 1
        ):
            msg, bad, dup = _parse_lines(lines)
            malformed += bad
            duplicates += dup
        if msg:
            messages.append(msg)
    return messages, malformed, duplicates, skipped


def skip_rules(skip_events: Iterable[str] = (), skip_unless: Mapping[str, str] | None = None) -> Rules:
    """The byte rules of :class:`AmiFramer`: ``skip_events`` are always skipped; an event named in
    ``skip_unless`` is skipped unless its frame contains the given text anywhere (UTF-8)."""
    rules: Rules = {name.encode(): None for name in skip_events}
    for name, needle in (skip_unless or {}).items():
        if name in skip_events:
            raise ValueError(f"event {name!r} is both always skipped and skipped unless it holds {needle!r}")
        if not needle:
            raise ValueError(f"event {name!r}: skip_unless needs a non-empty text")
        rules[name.encode()] = needle.encode()
    return rules


def parse_buffer(buf: bytes) -> tuple[list[Message], bytes]:
    """Split ``buf`` into complete messages and the unterminated remainder.

    Pure and stateless (like wazo-amid's ``parse_buffer``): it knows nothing
    about the banner (a banner line is skipped as a line without a colon) and
    does not report malformed lines; use :class:`AmiFramer` for a connection.

    >>> parse_buffer(b"Event: Hangup\\r\\nCause: 16\\r\\n\\r\\nEvent: Ne")
    ([{'Event': 'Hangup', 'Cause': '16'}], b'Event: Ne')
    """
    end = buf.rfind(_EOM)
    if end < 0:
        return [], bytes(buf)
    messages, _, _, _ = _parse_block(bytes(buf[:end]))
    return messages, bytes(buf[end + 4 :])


class AmiFramer:
    """Incremental framer for one AMI connection (create a new one per connection).

    >>> f = AmiFramer()
    >>> f.feed(b"Asterisk Call Manager/11.0.0\\r\\nEvent: Newchannel\\r\\nCallerIDName: \\xe5\\xbc")
    []
    >>> f.banner
    'Asterisk Call Manager/11.0.0'
    >>> f.feed(b"\\xa0\\xe4\\xb8\\x89\\r\\nAccountCode: \\r\\n\\r\\n")
    [{'Event': 'Newchannel', 'CallerIDName': '张三', 'AccountCode': ''}]

    ``skip_events``: event names never returned: such a frame (first line
    ``Event: <name>``) is counted in ``skipped`` and not decoded. ``skip_unless``
    (``{name: text}``): such an event is skipped unless its frame contains
    ``text`` (for ``VarSet``, the one variable the consumer reads). Default:
    nothing is skipped.

    >>> f = AmiFramer(skip_events=frozenset({"Newexten"}))
    >>> f.feed(b"Event: Newexten\\r\\nExten: s\\r\\n\\r\\nResponse: Success\\r\\n\\r\\n"), f.skipped
    ([{'Response': 'Success'}], 1)
    """

    __slots__ = ("_buf", "_rules", "_started", "banner", "duplicates", "malformed", "max_frame_bytes", "skipped")

    def __init__(
        self,
        max_frame_bytes: int = 1 << 20,
        *,
        skip_events: frozenset[str] = frozenset(),
        skip_unless: Mapping[str, str] | None = None,
    ) -> None:
        self.max_frame_bytes = max_frame_bytes
        self.banner: str | None = None
        self.malformed = 0  # lines without a colon + frames dropped for size
        self.duplicates = 0  # repeated keys, stored as "Key#n"
        self.skipped = 0  # frames of skip_events (and skip_unless) not decoded
        self._rules = skip_rules(skip_events, skip_unless) or None
        self._buf = bytearray()  # the unterminated tail; appended in place, trimmed from the front
        self._started = False  # the first line (banner or not) has been seen

    def feed(self, data: bytes) -> list[Message]:
        """Add bytes read from the socket; return the messages they complete, in order.

        Raises :class:`FrameTooLarge` (after resetting the buffer) when the
        unterminated remainder exceeds ``max_frame_bytes``. Work is linear in
        the bytes fed: only the new bytes are searched for a terminator.
        """
        buf = self._buf
        search_from = max(0, len(buf) - 3)  # a terminator may straddle the previous read
        buf += data
        if not self._started:
            if not self._take_first_line():
                self._check_size([])
                return []
            search_from = 0  # the banner was cut from the front
        if buf.find(_EOM, search_from) < 0:
            self._check_size([])
            return []
        end = buf.rfind(_EOM)
        block = bytes(buf[:end])
        del buf[: end + 4]
        messages, malformed, duplicates, skipped = _parse_block(block, self._rules)
        self.malformed += malformed
        self.duplicates += duplicates
        self.skipped += skipped
        self._check_size(messages)
        return messages

    def _take_first_line(self) -> bool:
        """Once the first line is complete: a line without a colon is the banner, set apart."""
        buf = self._buf
        eol = buf.find(b"\r\n")
        if eol < 0:
            return False
        self._started = True
        first = bytes(buf[:eol])
        if b":" not in first:
            self.banner = first.decode("utf-8", "replace")
            del buf[: eol + 2]
        return True

    @property
    def pending(self) -> int:
        """Bytes held for a frame not terminated yet."""
        return len(self._buf)

    def _check_size(self, messages: list[Message]) -> None:
        size = len(self._buf)
        if size > self.max_frame_bytes:
            self._buf = bytearray()
            self.malformed += 1
            raise FrameTooLarge(size, self.max_frame_bytes, messages)


def _check(text: str, what: str, key: str) -> None:
    if _CONTROL.search(text):
        raise ValueError(f"AMI action {what} {key!r} contains CR, LF or a control character")


def encode_action(action: Mapping[str, str | Iterable[str]]) -> bytes:
    """Encode an action as ``Key: value\\r\\n`` lines plus the empty line, UTF-8.

    A value may also be a list/tuple of strings: the key is then repeated
    once per value (``Variable: A=1`` ``Variable: B=2`` for Originate).
    Raises ``ValueError`` naming the key when a key is empty, contains ``:``
    or a control character, or a value contains CR, LF or a control character
    (header injection).

    >>> encode_action({"Action": "Ping", "ActionID": "p-1"})
    b'Action: Ping\\r\\nActionID: p-1\\r\\n\\r\\n'
    >>> encode_action({"Action": "Originate", "CallerID": "x\\r\\nAction: Hangup"})
    Traceback (most recent call last):
    ...
    ValueError: AMI action value 'CallerID' contains CR, LF or a control character
    """
    lines: list[str] = []
    for key, value in action.items():
        if not isinstance(key, str) or not key or ":" in key:
            raise ValueError(f"AMI action key {key!r} is empty or contains ':'")
        _check(key, "key", key)
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, (list, tuple)):
            raise ValueError(f"AMI action value {key!r} is not a string")
        for item in values:
            if not isinstance(item, str):
                raise ValueError(f"AMI action value {key!r} is not a string")
            _check(item, "value", key)
            lines.append(f"{key}: {item}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("utf-8")
