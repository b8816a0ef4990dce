"""AMI wire format: encode server messages, parse client actions.

Asterisk writes ``Key: Value`` lines ended by ``\\r\\n`` and a blank line after
each message; values go on the wire as UTF-8 bytes, unescaped. The simulator
strips CR and LF from values (a caller name can never break the framing) and
otherwise passes them through unchanged (Chinese, emoji, ``<script>``, quotes).

>>> encode([("Response", "Success"), ("ActionID", "1"), ("Message", "Pong")])
b'Response: Success\\r\\nActionID: 1\\r\\nMessage: Pong\\r\\n\\r\\n'
>>> encode([("CallerIDName", "Zhang\\r\\nEvent: Fake")])
b'CallerIDName: ZhangEvent: Fake\\r\\n\\r\\n'
>>> parser = ActionParser()
>>> [a.name for a in parser.feed(b"Action: Ping\\r\\nActionID: 7\\r\\n\\r\\nAction: Lo")]
['Ping']
>>> [a.get("actionid") for a in parser.feed(b"goff\\r\\nActionID: 8\\r\\n\\r\\n")]
['8']
"""

from __future__ import annotations

from dataclasses import dataclass, field

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
MAX_ACTION_BYTES = 64 * 1024

Fields = list[tuple[str, str]]


def clean(value: object) -> str:
    """A header value as Asterisk would send it, minus any CR/LF."""
    text = "" if value is None else str(value)
    if "\r" in text or "\n" in text:
        text = text.replace("\r", "").replace("\n", "")
    return text


def encode(fields: Fields) -> bytes:
    """One AMI message: ``Key: Value\\r\\n`` lines and a blank line, UTF-8."""
    lines = [f"{key}: {clean(value)}\r\n" for key, value in fields]
    lines.append("\r\n")
    return "".join(lines).encode("utf-8")


@dataclass
class Action:
    """One action as the client wrote it: headers in order, names as sent."""

    fields: Fields = field(default_factory=list)

    @property
    def name(self) -> str:
        """The ``Action`` header ('' when missing)."""
        return self.get("Action")

    @property
    def action_id(self) -> str | None:
        """The ``ActionID`` header, or None when the client sent none."""
        for key, value in self.fields:
            if key.lower() == "actionid":
                return value
        return None

    def get(self, key: str, default: str = "") -> str:
        """First value of a header, case-insensitive."""
        wanted = key.lower()
        for name, value in self.fields:
            if name.lower() == wanted:
                return value
        return default

    def has(self, key: str) -> bool:
        """Whether the header is present (even with an empty value)."""
        wanted = key.lower()
        return any(name.lower() == wanted for name, _ in self.fields)

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated header (``Variable``), in order."""
        wanted = key.lower()
        return [value for name, value in self.fields if name.lower() == wanted]

    def as_dict(self) -> dict:
        """JSON-friendly form for the control API."""
        return {"name": self.name, "fields": [list(pair) for pair in self.fields]}


class ProtocolError(Exception):
    """The client sent something the simulator will not buffer."""


class ActionParser:
    """Incremental parser: bytes in, complete actions out.

    Frames on bytes first (a blank line ends an action; ``\\n`` alone is
    accepted like Asterisk does), then decodes each frame as UTF-8.
    """

    def __init__(self, limit: int = MAX_ACTION_BYTES) -> None:
        self._buffer = b""
        self._limit = limit

    def feed(self, data: bytes) -> list[Action]:
        """Add bytes; return the actions completed by them."""
        self._buffer += data
        actions: list[Action] = []
        while True:
            frame = self._next_frame()
            if frame is None:
                break
            action = parse_frame(frame)
            if action.fields:
                actions.append(action)
        if len(self._buffer) > self._limit:
            raise ProtocolError("action too long")
        return actions

    def _next_frame(self) -> bytes | None:
        normalised = self._buffer.replace(b"\r\n", b"\n")
        end = normalised.find(b"\n\n")
        if end < 0:
            self._buffer = normalised
            return None
        self._buffer = normalised[end + 2 :]
        return normalised[:end]


def parse_frame(frame: bytes) -> Action:
    """Parse one action's header block (already without the blank line)."""
    text = frame.decode("utf-8", errors="replace")
    fields: Fields = []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        fields.append((key.strip(), value.lstrip(" \t")))
    return Action(fields)
