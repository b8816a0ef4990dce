"""Integration fixtures shared by the suites that need a PBX or the command line.

``pbx_sim`` is the AMI simulator (``asterisk-dev/pbxsim``) on an ephemeral
port, 100x faster than real time, with its HTTP control API on another
ephemeral port: ``pbx_sim.port``, ``pbx_sim.control_port``. Its AMI user reads
and writes ``all``, as the traces were recorded: it serves the simulator's own
tests, which check the dialplan and security events too. The service's tests
use ``sim`` (``ami_support``), with the account of ``asterisk-dev/manager.conf``.

``run`` runs ``cti …`` as an operator does: a real process on a SQLite file in
the test's folder, this checkout's code (not whichever one is installed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pbxsim import SimConfig, Simulator


@pytest.fixture
async def pbx_sim():
    sim = Simulator(SimConfig(port=0, control_port=0, time_scale=0.01))
    await sim.start()
    yield sim
    await sim.stop()


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTI_")}
    env["CTI_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))

    def _run(*args, stdin: str = "", **extra_env):
        return subprocess.run(
            [sys.executable, "-m", "cti.cli", *args], input=stdin, capture_output=True, text=True,
            env=env | extra_env, cwd=tmp_path, timeout=120,
        )

    return _run
