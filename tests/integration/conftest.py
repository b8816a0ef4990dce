"""Integration fixtures shared by the suites that need a PBX.

``pbx_sim`` is the AMI simulator (``asterisk-dev/pbxsim``) on an ephemeral
port, 100x faster than real time, with its HTTP control API on another
ephemeral port: ``pbx_sim.port``, ``pbx_sim.control_port``.
"""

from __future__ import annotations

import pytest

from pbxsim import SimConfig, Simulator


@pytest.fixture
async def pbx_sim():
    sim = Simulator(SimConfig(port=0, control_port=0, time_scale=0.01))
    await sim.start()
    yield sim
    await sim.stop()
