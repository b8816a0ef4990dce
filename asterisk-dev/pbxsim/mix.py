"""The busy-hour generator: random inbound calls with mixed outcomes.

Arrivals are a Poisson process (``calls_per_minute`` or ``calls_per_second``,
nominal time); everything is drawn from one seeded ``random.Random`` so a seed
reproduces the same sequence of callers and scripts. Callers come from the
configured (number, name) list, plus some unknown numbers and withheld IDs.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field

from .model import Pbx
from .queuecall import CallScript, InboundCall

log = logging.getLogger(__name__)

OUTCOME_WEIGHTS = {"answered": 55, "caller_hangs_up": 10, "abandoned": 15, "ring_no_answer": 8,
                   "transferred": 7, "direct": 5}


@dataclass
class MixConfig:
    calls_per_minute: float = 10.0
    calls_per_second: float | None = None  # overrides calls_per_minute
    seed: int | None = None
    callers: list[tuple[str, str]] | None = None  # None: SimConfig.callers
    unknown_ratio: float = 0.1  # numbers not in the list (no name)
    withheld_ratio: float = 0.05  # <unknown> or "Anonymous" <anonymous>
    weights: dict[str, float] = field(default_factory=lambda: dict(OUTCOME_WEIGHTS))
    max_calls: int | None = None  # stop after this many calls
    talk: tuple[float, float] = (10.0, 90.0)

    @property
    def rate_per_second(self) -> float:
        if self.calls_per_second is not None:
            return self.calls_per_second
        return self.calls_per_minute / 60.0


class Generator:
    """Places random calls until stopped."""

    def __init__(self, pbx: Pbx, config: MixConfig) -> None:
        self.pbx, self.config = pbx, config
        self.rng = random.Random(config.seed)
        self.placed = 0
        self.calls: list[InboundCall] = []
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._loop(), name="pbxsim-generator")

    def cancel(self) -> None:
        """Stop placing calls (running calls go on)."""
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def status(self) -> dict:
        return {"running": self.running, "placed": self.placed, "seed": self.config.seed,
                "rate_per_second": self.config.rate_per_second,
                "active": sum(1 for c in self.calls if not c.done.done())}

    async def _loop(self) -> None:
        rate = self.config.rate_per_second
        if rate <= 0:
            return
        while self.config.max_calls is None or self.placed < self.config.max_calls:
            await self.pbx.clock.sleep(self.rng.expovariate(rate))
            self.place()

    def place(self) -> InboundCall:
        """Start one random call now."""
        script = self.script()
        call = InboundCall(self.pbx, script).start()
        self.calls = [c for c in self.calls if not c.done.done()] + [call]
        self.placed += 1
        return call

    def caller(self) -> tuple[str, str]:
        rng, config = self.rng, self.config
        draw = rng.random()
        if draw < config.withheld_ratio:
            return rng.choice([("", ""), ("anonymous", "Anonymous")])
        if draw < config.withheld_ratio + config.unknown_ratio:
            return f"+86{rng.choice(['135', '136', '138', '139', '150', '186'])}{rng.randrange(10**8):08d}", ""
        return rng.choice(config.callers or self.pbx.config.callers)

    def script(self) -> CallScript:
        rng = self.rng
        number, name = self.caller()
        outcome = rng.choices(list(self.config.weights), weights=list(self.config.weights.values()))[0]
        members = [m.interface for m in self.pbx.queue.members]
        answers = {iface: round(rng.uniform(1.0, 8.0), 1) for iface in members if rng.random() < 0.8}
        talk = round(rng.uniform(*self.config.talk), 1)
        base = dict(caller=number, name=name, talk=talk, patience=60.0, extra={"mix": outcome})
        if outcome == "abandoned":
            return CallScript(**base | {"answers": {}, "patience": round(rng.uniform(3.0, 25.0), 1)})
        if outcome == "ring_no_answer":
            return CallScript(**base | {"answers": {}, "patience": round(rng.uniform(18.0, 45.0), 1),
                                        "style": "noanswer"})
        if outcome == "caller_hangs_up":
            return CallScript(**base | {"answers": answers, "hangup_by": "caller"})
        if outcome == "transferred" and len(members) > 1:
            target = rng.choice(members).split("/", 1)[1]
            return CallScript(**base | {"answers": answers, "transfer_to": target,
                                        "transfer_after": round(rng.uniform(5.0, 30.0), 1),
                                        "transfer_talk": talk})
        if outcome == "direct" and members:
            agent = rng.choice(members)
            return CallScript(**base | {"only": agent, "answers": {agent: round(rng.uniform(1.0, 6.0), 1)}})
        return CallScript(**base | {"answers": answers})
