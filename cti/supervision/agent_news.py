"""Each agent's own state on their console: the wallboard's agent rows, pushed to the users of that phone.

The board calls :meth:`AgentNews.send` at each flush with the rows that changed (``None``: the phone
left every queue); the users bound to each phone are read from the tables on a timer
(:meth:`refresh`) and noted when their console connects (:meth:`seen`), so a flush never waits for the
database.
"""

from __future__ import annotations

import time
from typing import Any

from cti.push import Hub
from cti.users import service as users

REFRESH_SECONDS = 10.0


class AgentNews:
    def __init__(self, db: Any, hub: Hub) -> None:
        self._db = db
        self._hub = hub
        self._users: dict[str, list[int]] = {}  # interface -> the active users bound to it
        self.sent = 0

    async def refresh(self) -> None:
        async with self._db.session() as session:
            directory = await users.directory(session)
        self._users = {interface: [u.id for u in people] for interface, people in directory.items()}

    def seen(self, interface: str, user_id: int) -> None:
        """A console of ``user_id`` connected on ``interface``'s login: told from now on (before the next refresh)."""
        people = self._users.setdefault(interface, [])
        if user_id not in people:
            people.append(user_id)

    def send(self, rows: dict[str, dict[str, Any] | None]) -> None:
        for interface, row in rows.items():
            for user_id in self._users.get(interface, ()):
                self._hub.send(user_id, "agent", {"interface": interface, "agent": row, "now": time.time()})
                self.sent += 1
