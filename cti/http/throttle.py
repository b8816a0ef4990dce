"""The failed-login throttle: two sliding windows, in memory and bounded.

* per (username, address): ``USER_LIMIT`` failures in ``WINDOW`` seconds lock that
  username from that address (the password guesser);
* per address, across usernames: ``ADDRESS_LIMIT`` failures lock the address
  (the sprayer, who tries one common password on many usernames).

The address is the client's, as :mod:`cti.http.forwarded` reads it behind a
trusted proxy. A good login clears its (username, address) count but not the
address's: a sprayer with an account of their own cannot reset it. Each window
holds at most ``max_keys`` keys; when full it drops the expired ones, then the oldest.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

USER_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = 300.0  # seconds


@dataclass(frozen=True)
class Wait:
    """How long a login must wait, and which limit it hit: ``user`` or ``address``."""

    seconds: float
    scope: str


class SlidingWindow:
    """At most ``limit`` events per key within ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float], max_keys: int) -> None:
        self.limit, self.window, self._clock, self._max_keys = limit, window, clock, max_keys
        self._events: dict[Hashable, deque[float]] = {}

    def __len__(self) -> int:
        return len(self._events)

    def retry_after(self, key: Hashable) -> float:
        """Seconds until ``key`` is under its limit again (0: now)."""
        q = self._recent(key)
        if q is None or len(q) < self.limit:
            return 0.0
        return max(0.0, q[0] + self.window - self._clock())

    def add(self, key: Hashable) -> None:
        if key not in self._events and len(self._events) >= self._max_keys:
            self._prune()
        self._events.setdefault(key, deque(maxlen=self.limit)).append(self._clock())

    def forget(self, key: Hashable) -> None:
        self._events.pop(key, None)

    def _recent(self, key: Hashable) -> deque[float] | None:
        q = self._events.get(key)
        if q is None:
            return None
        horizon = self._clock() - self.window
        while q and q[0] <= horizon:
            q.popleft()
        if not q:
            del self._events[key]
            return None
        return q

    def _prune(self) -> None:
        for key in list(self._events):
            self._recent(key)
        while len(self._events) >= self._max_keys:  # still full of live entries: drop the oldest
            del self._events[next(iter(self._events))]


class LoginThrottle:
    """Failed logins per (username, address) and per address; see the module's docstring."""

    def __init__(self, *, user_limit: int = USER_LIMIT, address_limit: int = ADDRESS_LIMIT, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        self._pairs = SlidingWindow(user_limit, window, clock, max_keys)
        self._addresses = SlidingWindow(address_limit, window, clock, max_keys)

    def retry_after(self, username: str, address: str) -> Wait | None:
        """None when this login may be tried now; else how long to wait (a locked address is reported first)."""
        by_address = self._addresses.retry_after(address)
        if by_address > 0:
            return Wait(by_address, "address")
        by_user = self._pairs.retry_after((username.casefold(), address))
        return Wait(by_user, "user") if by_user > 0 else None

    def failed(self, username: str, address: str) -> None:
        self._pairs.add((username.casefold(), address))
        self._addresses.add(address)

    def succeeded(self, username: str, address: str) -> None:
        self._pairs.forget((username.casefold(), address))

    def size(self) -> int:
        """Keys held in both windows (bounded by twice ``max_keys``)."""
        return len(self._pairs) + len(self._addresses)
