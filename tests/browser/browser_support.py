"""Shared pieces of the browser tests: the service stack in a background loop, Chromium's settings, timeouts.

The stack (PBX simulator + service + SQLite file) runs in its own thread with
its own asyncio loop; the tests run in the main thread with Playwright's sync
API and hand work to that loop with :meth:`Stack.run`. Test modules import
what they use: ``from browser_support import POP_TIMEOUT_MS, expect``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
import threading
import time
import zoneinfo
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every browser test (fails them on CI) before they run
    expect = None

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIME_SCALE = 1.0  # the simulator in real time: "answers after 3 s" rings the phone for 3 real seconds
POP_TIMEOUT_MS = 2_000  # the issue: the pop shows within 2 s of the phone ringing
UI_TIMEOUT_MS = 10_000  # page loads, the push channel connecting
STACK_TIMEOUT = 20.0
ZONE = "Asia/Shanghai"
PASSWORDS = {"1001": "demo1001", "1002": "demo1002", "1003": "demo1003", "admin": "demoadmin"}


class LoopThread:
    """An asyncio loop in a daemon thread; the tests hand it coroutines."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="browser-stack", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, work: Coroutine[Any, Any, Any] | Callable[[], Any], timeout: float = STACK_TIMEOUT) -> Any:
        """Run a coroutine, or a plain function, in the loop; return its result."""
        if not asyncio.iscoroutine(work):
            fn = work

            async def call() -> Any:
                return fn()

            work = call()
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def stop(self) -> None:
        async def cancel_rest() -> None:
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        self.run(cancel_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


async def build_template(path: Path) -> None:
    """A SQLite file at the newest schema with the demo customers and logins, as ``cti serve`` seeds them."""
    from cti import demo
    from cti.customers.demo import generate
    from cti.store import Database
    from cti.store.migrate import upgrade

    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(db)
        await demo.seed(db, generate(today=dt.datetime.now(zoneinfo.ZoneInfo(ZONE)).date()))
    finally:
        await db.close()  # the last connection checkpoints the WAL into the file: it can be copied


@dataclass
class Stack:
    """One running PBX simulator + service + database. ``run`` executes work in their loop."""

    loop: LoopThread
    sim: Any
    db: Any
    app: Any
    runner: Any
    base_url: str
    pages: list[Any] = field(default_factory=list)  # every page a test opened (screenshots on failure)

    def run(self, work, timeout: float = STACK_TIMEOUT) -> Any:
        return self.loop.run(work, timeout)

    @property
    def hub(self):
        from cti.http import keys

        return self.app[keys.HUB]

    def call(self, **script) -> Any:
        """Start an inbound queue call (``pbxsim.CallScript`` fields); returns once the caller's leg exists."""

        async def start() -> Any:
            return await self.sim.start_inbound(**script).started()

        return self.run(start())

    def pause(self, interface: str, paused: bool = True) -> None:
        """The agent takes a break: the queue stops ringing that phone (QueuePause)."""
        self.run(lambda: self.sim.set_paused(interface, paused, "break"))

    def user_id(self, username: str) -> int:
        from cti.users import service as users

        async def find() -> int:
            async with self.db.session() as s:
                return (await users.by_username(s, username)).id

        return self.run(find())

    def sent(self, user_id: int, type_: str | None = None) -> list:
        """What the hub has pushed to a user so far (its replay buffer). Call it inside the loop."""
        conn = self.hub.connect(user_id, last_id=0)
        try:
            return [m for m in conn.pending() if type_ is None or m.type == type_]
        finally:
            conn.close()


async def eventually(predicate: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


async def start_stack(loop: LoopThread, db_path: Path) -> Stack:
    """The simulator on an ephemeral port, the real service on an ephemeral 127.0.0.1 port, logged in to it."""
    from aiohttp import web

    from cti.app import create_app
    from cti.config import Settings
    from cti.http import keys
    from cti.store import Database
    from pbxsim import SimConfig, Simulator, documented_classes

    sim = Simulator(SimConfig(port=0, time_scale=TIME_SCALE, **documented_classes()))  # manager.conf's [cti]
    await sim.start()
    url = f"sqlite+aiosqlite:///{db_path}"
    db = Database(url)
    settings = Settings(_env_file=None, database_url=url, ami_host="127.0.0.1", ami_port=sim.port,
                        ami_ping_interval=1.0, ami_reconnect_max=0.5, http_host="127.0.0.1", language="zh",
                        timezone=ZONE, sim_control_port=0)
    app = create_app(settings, db=db)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # aiohttp has no public accessor for an ephemeral port
    bridge = app[keys.SERVICE].bridge
    await eventually(lambda: bridge.state == "connected" and bridge.resyncs >= 1, 10,
                     "the service to log in to the simulator")
    return Stack(loop, sim, db, app, runner, f"http://127.0.0.1:{port}")


async def stop_stack(stack: Stack) -> None:
    await stack.runner.cleanup()  # stops the service (bridge, bus, hub) with the app
    await stack.sim.stop()
    await stack.db.close()


def screenshots(nodeid: str, pages: list[Any]) -> None:
    """One PNG per page under test-artifacts/, named after the test and the page's user."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", nodeid.split("::", 1)[-1])
    for i, page in enumerate(pages):
        target = ARTIFACTS / f"{stem}-{getattr(page, 'cti_label', i)}.png"
        try:
            page.screenshot(path=str(target), full_page=True)
            print(f"screenshot: {target}")
        except Exception as exc:  # noqa: BLE001  (a crashed page must not hide the test's failure)
            print(f"no screenshot of page {i}: {exc}")


def log_in(page, username: str) -> None:
    """Fill and send the login form; wait until the console's push channel is connected."""
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORDS[username])
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.get_by_test_id("whoami")).to_be_visible()
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
