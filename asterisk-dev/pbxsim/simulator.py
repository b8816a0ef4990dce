"""The embeddable facade: one object to start, script, observe and stop the PBX.

>>> import asyncio
>>> from pbxsim import Simulator, SimConfig
>>> async def demo():
...     async with Simulator(SimConfig(port=0, time_scale=0.001)) as sim:
...         result = await sim.inbound(caller="+8613800138000", name="Zhang San",
...                                    answer_by="PJSIP/1001", after=2, talk=3)
...         return result["outcome"], result["agent"], result["hold_time"], result["talk_time"]
>>> asyncio.run(demo())
('answered', 'PJSIP/1001', 2, 3)
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

from . import scenarios as sc
from .config import NumberBehavior, SimConfig
from .mix import Generator, MixConfig
from .model import Pbx
from .server import AmiServer


class Simulator:
    """The AMI server, the PBX model, the HTTP control API and the call generator."""

    def __init__(self, config: SimConfig | None = None, **overrides) -> None:
        config = config or SimConfig()
        if overrides:
            config = dataclasses.replace(config, **overrides)
        self.config = config
        self.pbx = Pbx(config)
        self.server = AmiServer(self.pbx, config.host, config.port)
        self.generator: Generator | None = None
        self.control = None
        self.calls: list[sc.CallHandle] = []

    # -- lifecycle ------------------------------------------------------------------
    async def start(self) -> Simulator:
        await self.server.start()
        if self.config.control_port is not None:
            from .control import ControlApi

            self.control = ControlApi(self)
            await self.control.start(self.config.control_host, self.config.control_port)
        return self

    async def stop(self) -> None:
        if self.generator is not None:
            await self.generator.stop()
        if self.control is not None:
            await self.control.stop()
        await self.server.stop()
        tasks = [call.task for call in self.pbx.calls.values() if getattr(call, "task", None)]
        tasks += [h.call.task for h in self.calls if h.call.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The bound AMI port (useful with ``port=0``)."""
        return self.server.port

    @property
    def control_port(self) -> int | None:
        return self.control.port if self.control is not None else None

    # -- observation -------------------------------------------------------------------
    @property
    def actions(self) -> list[dict]:
        """Actions received, oldest first: ``{'name', 'fields': [[k, v], …], 'session', 'at'}``."""
        return self.server.actions

    def clear_actions(self) -> None:
        self.server.actions.clear()

    def actions_named(self, name: str) -> list[dict]:
        return [a for a in self.server.actions if a["name"].lower() == name.lower()]

    def active_calls(self) -> list[dict]:
        return [call.summary() for call in self.pbx.calls.values()]

    def channels(self) -> list[dict]:
        return [ch.summary() for ch in self.pbx.channels.values()]

    def members(self) -> list[dict]:
        return [m.summary() for m in self.pbx.queue.members]

    def connections(self) -> list[dict]:
        return self.server.connections()

    def status(self) -> dict:
        return {"ami_port": self.port, "control_port": self.control_port, "silent": self.server.silent,
                "connections": self.connections(), "calls": self.active_calls(), "members": self.members(),
                "generator": self.generator.status() if self.generator else {"running": False}}

    # -- failure modes ----------------------------------------------------------------------
    def after_action(self, name: str, hook: Callable[[], Awaitable[object]]) -> None:
        """Await ``hook()`` once, right after the PBX answered the next ``name`` action (a list
        included) and before it reads the client's next action: what the hook makes happen reaches
        the client between that answer and the next one (a call hanging up between two lists)."""
        self.server.hooks.setdefault(name.lower(), []).append(hook)

    async def drop_connections(self) -> int:
        """Abort every AMI connection now; calls continue."""
        count = self.server.drop_connections()
        await asyncio.sleep(0)
        return count

    def go_silent(self, hold: bool = False) -> None:
        """Keep sockets open, write nothing (no events, no responses, no Ping replies)."""
        self.server.go_silent(hold)

    def resume(self) -> None:
        self.server.resume()

    def set_paused(self, interface: str, paused: bool = True, reason: str = "") -> None:
        """Pause/unpause a member as QueuePause would (same events)."""
        member = self.pbx.queue.find(interface)
        if member is None:
            raise KeyError(f"no queue member {interface!r}")
        self.pbx.pause_member(member, paused, reason)

    def pause_all(self, paused: bool = True, reason: str = "") -> None:
        for member in list(self.pbx.queue.members):
            self.pbx.pause_member(member, paused, reason)

    # -- the customers' numbers ---------------------------------------------------------------
    def set_number(self, number: str, **behavior) -> NumberBehavior:
        """How ``number`` reacts from the next call on (:class:`NumberBehavior` fields; the others take
        their defaults), e.g. ``set_number("+8613500001111", keys=["", "4"])``."""
        self.config.numbers[number] = NumberBehavior(**behavior)
        return self.config.numbers[number]

    def forget_number(self, number: str) -> bool:
        """``number`` behaves as ``SimConfig.default_number`` again; False if it had no behaviour of its own."""
        return self.config.numbers.pop(number, None) is not None

    def numbers(self) -> dict[str, dict]:
        """Every number with a behaviour of its own, and ``default`` for the others."""
        listed = {number: dataclasses.asdict(b) for number, b in self.config.numbers.items()}
        return listed | {"default": dataclasses.asdict(self.config.default_number)}

    # -- the generator ---------------------------------------------------------------------------
    def start_generator(self, calls_per_minute: float | None = None, calls_per_second: float | None = None,
                        seed: int | None = None, callers: list[tuple[str, str]] | None = None,
                        **options) -> Generator:
        """Start the random busy-hour mix (replaces a running one)."""
        config = MixConfig(seed=seed, callers=callers, calls_per_second=calls_per_second, **options)
        if calls_per_minute is not None:
            config.calls_per_minute = calls_per_minute
        if self.generator is not None:
            self.generator.cancel()
        self.generator = Generator(self.pbx, config)
        self.generator.start()
        return self.generator

    async def stop_generator(self) -> None:
        if self.generator is not None:
            await self.generator.stop()

    # -- scenarios: start_* return a CallHandle, the others wait for the end ------------------------
    def _keep(self, handle: sc.CallHandle) -> sc.CallHandle:
        self.calls = [h for h in self.calls if not h.finished] + [handle]
        return handle

    def start_inbound(self, **kwargs) -> sc.CallHandle:
        return self._keep(sc.start_inbound(self.pbx, **kwargs))

    async def inbound(self, **kwargs) -> dict:
        """An inbound queue call (see :class:`pbxsim.queuecall.CallScript`), awaited to its end.
        ``answer_by``/``after``/``talk`` as in the brief; ``answers={}``: nobody answers."""
        return await self.start_inbound(**kwargs)

    def start_answered(self, **kwargs) -> sc.CallHandle:
        return self._keep(sc.start_answered(self.pbx, **kwargs))

    async def answered(self, **kwargs) -> dict:
        return await self.start_answered(**kwargs)

    def start_abandoned(self, **kwargs) -> sc.CallHandle:
        return self._keep(sc.start_abandoned(self.pbx, **kwargs))

    async def abandoned(self, **kwargs) -> dict:
        return await self.start_abandoned(**kwargs)

    def start_ring_no_answer(self, **kwargs) -> sc.CallHandle:
        return self._keep(sc.start_ring_no_answer(self.pbx, **kwargs))

    async def ring_no_answer(self, **kwargs) -> dict:
        return await self.start_ring_no_answer(**kwargs)

    def start_anonymous(self, **kwargs) -> sc.CallHandle:
        return self._keep(sc.start_anonymous(self.pbx, **kwargs))

    async def anonymous(self, **kwargs) -> dict:
        return await self.start_anonymous(**kwargs)

    def start_transferred(self, **kwargs) -> sc.CallHandle:
        return self._keep(sc.start_transferred(self.pbx, **kwargs))

    async def transferred(self, **kwargs) -> dict:
        return await self.start_transferred(**kwargs)

    def start_direct(self, **kwargs) -> sc.CallHandle:
        return self._keep(sc.start_direct(self.pbx, **kwargs))

    async def direct(self, **kwargs) -> dict:
        return await self.start_direct(**kwargs)

    def start_originate(self, channel: str, **kwargs) -> sc.CallHandle:
        return self._keep(sc.start_originate(self.pbx, channel, **kwargs))

    def start_callback(self, **kwargs) -> sc.CallHandle:
        return self._keep(sc.start_callback(self.pbx, **kwargs))

    async def callback(self, **kwargs) -> dict:
        return await self.start_callback(**kwargs)

    def start_survey(self, **kwargs) -> sc.CallHandle:
        return self._keep(sc.start_survey(self.pbx, **kwargs))

    async def survey(self, **kwargs) -> dict:
        return await self.start_survey(**kwargs)

    def start_click_to_dial(self, **kwargs) -> sc.CallHandle:
        return self._keep(sc.start_click_to_dial(self.pbx, **kwargs))

    async def click_to_dial(self, **kwargs) -> dict:
        return await self.start_click_to_dial(**kwargs)

    SCENARIOS = ("inbound", "answered", "abandoned", "ring_no_answer", "anonymous", "transferred",
                 "direct", "callback", "survey", "click_to_dial")

    def start_scenario(self, scenario: str, /, **kwargs) -> sc.CallHandle:
        """Start a scenario by name (used by the HTTP API); ``kwargs`` may hold the caller's ``name``."""
        if scenario not in self.SCENARIOS:
            raise KeyError(f"unknown scenario {scenario!r}; one of {', '.join(self.SCENARIOS)}")
        return getattr(self, "start_" + scenario)(**kwargs)
