"""``cti serve`` as a real process for the campaign tests that kill it or run two of it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    """``cti serve`` as an operator runs it, on the test's database and the simulator."""

    def __init__(self, database_url: str, ami_port: int, folder: Path, name: str = "serve") -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CTI_")}
        self.env = env | {"CTI_DATABASE_URL": database_url, "CTI_AMI_HOST": "127.0.0.1", "CTI_AMI_PORT": str(ami_port),
                          "CTI_HTTP_PORT": str(free_port()), "CTI_SEED_DEMO": "false",
                          "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))}
        self.folder = folder
        self.log = folder / f"{name}.log"  # what the process said, for a failing test's reader
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "cti.cli", "serve"], stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "ab"), env=self.env, cwd=self.folder)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after 30 s) and print the end of its log: a failing test shows it."""
        self._stop()
        if self.log.exists():
            print(f"--- the last lines of {self.log.name} ---", *self.log.read_text(errors="replace").splitlines()[-40:],
                  sep="\n")

    def _stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def until(predicate, timeout: float, what: str):
    """Await ``predicate()`` until it is truthy (its value); fail after ``timeout`` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)
