"""Log lines that stay one line: values from outside (the PBX, callers) made safe, floods limited."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
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


class LogLimiter:
    """At most one line per ``interval`` seconds on a logger; the next line says how many were held back.

    For failures that can repeat at the rate of the AMI stream (a tracker bug hit by every
    message): the first is logged at once, a flood becomes one line a minute.

    >>> import logging
    >>> t = [0.0]
    >>> limiter = LogLimiter(logging.getLogger("doctest"), interval=60, clock=lambda: t[0])
    >>> limiter.allow(), limiter.allow(), limiter.allow()
    (True, False, False)
    >>> t[0] = 61.0
    >>> limiter.allow(), limiter.held_back
    (True, 2)
    """

    def __init__(self, logger: logging.Logger, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._next_at = float("-inf")
        self._suppressed = 0
        self.held_back = 0  # lines held back before the last one logged

    def allow(self) -> bool:
        """True when a line may be written now (and counts one held back otherwise)."""
        now = self._clock()
        if now < self._next_at:
            self._suppressed += 1
            return False
        self._next_at = now + self._interval
        self.held_back, self._suppressed = self._suppressed, 0
        return True

    def error(self, msg: str, *args: Any) -> None:
        """``logger.error`` if allowed, with ``(N similar lines held back)`` when some were."""
        if self.allow():
            suffix = f" ({self.held_back} similar lines held back)" if self.held_back else ""
            self._logger.error(msg + suffix, *args)
