"""The service's side of the AMI process (``CTI_AMI_PROCESS=true``): the PBX connection, the framer
and the call tracker run in ``python -m cti.worker.ami_child`` on a core of their own, and this
object stands where :class:`~cti.ami.bridge.AmiBridge` stands in one process (``start``, ``stop``,
``synced``, ``status``, ``gateway``): it publishes on the service's bus, in order, the domain events
the child's tracker makes, and reads the next message only once the bus took this batch (back-pressure
reaches the PBX's socket through the pipe, as in one process). The gateway's actions (Originate,
QueuePause…) are run by the child on its connection and answered back; like the bridge's, an action
is never re-sent: one the child took and did not answer before dying fails with ``AmiDisconnected``.

If the child dies, it is started again (the reason is logged and counted): the new one connects,
logs in and resyncs, as after a dropped connection in one process; the calls it finds live are
announced again, which every subscriber takes without doubling anything.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cti.ami.actions import AmiGateway
from cti.ami.protocol import AmiDisconnected, Reply
from cti.config import Settings
from cti.worker.channel import ChannelClosed, receive, send

log = logging.getLogger(__name__)
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
RESTART_PAUSE = 1.0
ACTION_ID_VAR = "CTI_ACTION_ID"  # the tracker's (CallTracker.action_id_var), as the bridge's gateway sets it


class AmiProcess:
    def __init__(self, settings: Settings, publish: Callable[[list[Any]], Awaitable[None]]) -> None:
        self.settings = settings
        self._publish = publish
        self._proc: asyncio.subprocess.Process | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False
        self._last: dict[str, Any] = {"state": "connecting", "host": settings.ami_host, "port": settings.ami_port}
        self._synced = False
        self.starts = 0
        self.deaths = 0
        self.batches = 0
        self.events = 0
        self._seq = 0
        self._waiting: dict[int, asyncio.Future[Reply]] = {}
        self.gateway = AmiGateway(self.request, action_id_var=ACTION_ID_VAR)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def synced(self) -> bool:
        """As the child's bridge said with its last message: logged in and its channel list applied."""
        return self._synced and self._proc is not None and self._proc.returncode is None

    def status(self) -> dict[str, Any]:
        """The child bridge's ``/status`` as of its last report (at most a second old), and the process."""
        running = self._proc is not None and self._proc.returncode is None
        state = self._last.get("state", "connecting") if running else "disconnected"
        return self._last | {"state": state, "process": {"pid": self.pid, "starts": self.starts,
                                                          "deaths": self.deaths, "batches": self.batches,
                                                          "events": self.events}}

    async def request(self, fields: dict[str, Any], *, as_list: bool = False, to_stream: bool = False) -> Reply:
        """One action on the child's connection (what the bridge's ``_request`` is in one process)."""
        proc = self._proc
        if proc is None or proc.returncode is not None or proc.stdin is None:
            raise AmiDisconnected(f"AMI {fields.get('Action', '?')}: the AMI process is not running; not sent")
        self._seq += 1
        seq = self._seq
        answer = self._waiting[seq] = asyncio.get_running_loop().create_future()
        try:
            await send(proc.stdin, ("request", seq, fields, as_list, to_stream))
            return await answer
        except ChannelClosed as exc:
            raise AmiDisconnected(f"AMI {fields.get('Action', '?')}: the AMI process went away ({exc})") from exc
        finally:
            self._waiting.pop(seq, None)

    def _answered(self, seq: int, outcome: Reply | BaseException) -> None:
        future = self._waiting.get(seq)
        if future is None or future.done():
            return
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

    def _orphan_requests(self, why: str) -> None:
        """The child died with actions taken and not answered: they fail, never re-sent (as in one process)."""
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(AmiDisconnected(f"the AMI process ended ({why}); the action was not re-sent"))

    async def start(self) -> None:
        """Start the child (it connects in the background, as the bridge does) and watch it."""
        self._stopping = False
        await self._spawn()
        self._watcher = asyncio.create_task(self._watch(), name="ami-process:watch")

    async def _spawn(self) -> None:
        self._synced = False
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cti.worker.ami_child", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=2**26)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        await send(self._proc.stdin, self.settings)
        ready = await asyncio.wait_for(receive(self._proc.stdout), START_TIMEOUT)
        if ready[0] != "ready":
            raise RuntimeError(f"AMI process answered {ready[0]!r}")
        self.starts += 1
        log.info("AMI process %d started", self._proc.pid)

    async def _watch(self) -> None:
        """Publish what the child sends, in order; start it again if it dies (not when stopping)."""
        while True:
            assert self._proc is not None and self._proc.stdout is not None
            await self._read(self._proc.stdout)
            if self._stopping:
                return
            proc = self._proc
            code = await proc.wait()
            self.deaths += 1
            self._synced = False
            log.warning("AMI process %d ended (exit code %s); starting it again", proc.pid, code)
            await asyncio.sleep(RESTART_PAUSE)
            while not self._stopping:
                try:
                    await self._spawn()
                    break
                except (OSError, RuntimeError, ChannelClosed, TimeoutError) as exc:
                    log.error("AMI process could not be started again: %s; retrying", exc)
                    await asyncio.sleep(RESTART_PAUSE * 5)

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        try:
            while True:
                message = await receive(stdout)
                kind = message[0]
                if kind == "events":
                    self._synced = message[2]
                    self.batches += 1
                    self.events += len(message[1])
                    try:
                        await self._publish(message[1])
                    except Exception:  # the bus logs its subscribers' failures; this is the bus itself
                        log.exception("publishing %d events of the AMI process failed", len(message[1]))
                elif kind == "status":
                    self._last, self._synced = message[1], message[2]
                elif kind in ("reply", "refused"):
                    self._answered(message[1], message[2])
                elif kind == "stopped":
                    return
        except ChannelClosed as exc:
            self._orphan_requests(str(exc) or "pipe closed")
            return
        self._orphan_requests("stopped")

    async def stop(self) -> None:
        """Ask the child to stop (its last events are published first), then wait for it, bounded."""
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.returncode is None and proc.stdin is not None:
            started = time.monotonic()
            try:
                await send(proc.stdin, ("stop",))
                if self._watcher is not None:
                    await asyncio.wait_for(asyncio.shield(self._watcher), STOP_TIMEOUT)
                await asyncio.wait_for(proc.wait(), max(0.1, STOP_TIMEOUT - (time.monotonic() - started)))
            except (ChannelClosed, TimeoutError):
                log.warning("AMI process %s did not stop in time; killed", proc.pid)
                proc.kill()
                await proc.wait()
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
            self._watcher = None
        self._synced = False
        self._last = self._last | {"state": "disconnected"}
