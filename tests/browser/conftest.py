"""Browser tests: the real console in headless Chromium, driven by Playwright's sync API.

Each test gets its own stack (``browser_support``): a SQLite file copied from a
template migrated and seeded with the demo data once per session (张三
+8613800138000 and the other demo customers, logins ``1001``/``demo1001`` …
bound to ``PJSIP/1001`` …), the PBX simulator in real time on an ephemeral
port, and the real service on an ephemeral 127.0.0.1 port. Agents log in
through the login form, each in a browser context of their own.

Chromium is Debian's (``/usr/bin/chromium``), never a downloaded browser.
Without it (or without the playwright package) the tests are skipped with the
reason; with ``CI`` set they fail instead. When a test fails, a screenshot of
every page it opened is saved under ``test-artifacts/``.

Playwright's sync API marks its own event loop as running in the main thread
while it is alive, which would break the pytest-asyncio tests that follow; so
Playwright lives per module and is stopped before the next module runs.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    UI_TIMEOUT_MS,
    ZONE,
    LoopThread,
    Stack,
    build_template,
    expect,
    log_in,
    screenshots,
    start_stack,
    stop_stack,
)

_skipped: list[str] = []


def _unavailable(reason: str) -> None:
    """Skip (with the reason) on a developer's machine; fail on CI, which must run these tests."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests, but {reason}", pytrace=False)
    if reason not in _skipped:
        _skipped.append(reason)
    pytest.skip(reason)


def pytest_runtest_setup(item) -> None:
    """Before any fixture is built: no chromium or no playwright package means skip (fail on CI)."""
    if CHROMIUM is None:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    if expect is None:
        _unavailable("the playwright Python package is not installed (pip install -e '.[test]')")


def pytest_terminal_summary(terminalreporter) -> None:
    for reason in _skipped:
        terminalreporter.write_line(f"browser tests skipped: {reason}", yellow=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)  # the stack fixture screenshots the pages of a failed test
    return report


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[LoopThread]:
    running = LoopThread()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def template_db(loop_thread, tmp_path_factory):
    path = tmp_path_factory.mktemp("browser-db") / "template.db"
    loop_thread.run(build_template(path), timeout=120)
    return path


@pytest.fixture
def stack(request, loop_thread, template_db, tmp_path) -> Iterator[Stack]:
    db_path = tmp_path / "cti.db"
    shutil.copyfile(template_db, db_path)
    running = loop_thread.run(start_stack(loop_thread, db_path))
    try:
        yield running
    finally:
        if any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call")):
            screenshots(request.node.nodeid, running.pages)
        for page in running.pages:
            try:
                page.context.close()
            except Exception:  # noqa: BLE001  (the browser may be gone already)
                pass
        loop_thread.run(stop_stack(running))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        try:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Exception as exc:  # noqa: BLE001
            _unavailable(f"chromium at {CHROMIUM} does not start: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()
    finally:
        pw.stop()  # before the next module: see the module docstring


@pytest.fixture
def agent(browser, stack) -> Callable[..., Any]:
    """``agent("1001")``: a new browser context, logged in through the login form, on a connected console.

    The page records the JavaScript dialogs it gets in ``page.cti_dialogs`` (and dismisses them).
    """

    def open_console(username: str):
        context = browser.new_context(locale="zh-CN", timezone_id=ZONE, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(UI_TIMEOUT_MS)
        page = context.new_page()
        page.cti_label = username
        page.cti_dialogs = []
        page.on("dialog", lambda d: (page.cti_dialogs.append(d.message), d.dismiss()))
        stack.pages.append(page)
        page.goto(stack.base_url + "/")
        expect(page).to_have_url(re.compile(r"/login"))
        log_in(page, username)
        return page

    return open_console

