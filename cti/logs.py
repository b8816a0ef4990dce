"""Values from outside (the PBX, callers) made safe for one log line."""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")


def clean(value: Any, limit: int = 200) -> str:
    """Control characters (CR/LF, …) become spaces and the text is cut at ``limit`` characters.

    >>> clean("Zhang\\r\\nEvent: Hangup")
    'Zhang Event: Hangup'
    >>> clean("x" * 10, limit=5)
    'xxxx…'
    """
    text = _UNSAFE.sub(" ", str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"
