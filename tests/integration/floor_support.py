"""The supervisors' floor tests' PBX and console: the simulator 20x faster than real time with the AMI account
the project documents, and the console linked to it.
``from floor_support import floor, linked, pbx  # noqa: F401`` (``pbx`` and ``floor`` are fixtures)."""

from __future__ import annotations

from typing import Any

import pytest
from ami_support import eventually
from web_support import start_web, stop_web

from cti.http import keys
from pbxsim import SimConfig, Simulator, documented_classes

TIME_SCALE = 0.05  # a phone answering "after 2 s" answers after 0.1 s


@pytest.fixture(name="pbx")
async def pbx(no_leaks):
    simulator = Simulator(SimConfig(port=0, time_scale=TIME_SCALE, **documented_classes()))
    await simulator.start()
    yield simulator
    await simulator.stop()


async def linked(db: Any, pbx: Simulator, **overrides: Any) -> tuple[Any, Any]:
    """The console on ``db`` logged in to ``pbx`` and resynced (its floor rebuilt from ``QueueStatus``):
    ``(web, service)``; stop it with ``stop_web(web)``."""
    web = await start_web(db, ami_port=pbx.port, ami_ping_interval=0.5, ami_reconnect_max=0.2, **overrides)
    service = web.app[keys.SERVICE]
    await eventually(lambda: service.bridge.state == "connected" and service.bridge.resyncs >= 1, what="PBX linked")
    await eventually(lambda: len(service.board.floor.agents) >= 3, what="the floor from QueueStatus")
    return web, service


@pytest.fixture
async def floor(db, pbx):
    """``(web, service)``: the console linked to ``pbx``, stopped after the test."""
    web, service = await linked(db, pbx)
    try:
        yield web, service
    finally:
        await stop_web(web)
