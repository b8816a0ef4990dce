"""The `cti` command as an operator runs it: a real process, a real SQLite file, one-line errors."""

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import openpyxl

FIXTURES = Path(__file__).parent.parent / "fixtures" / "csv"


def test_import_reports_every_bad_row_and_keeps_the_good_ones(run, tmp_path):
    errors = tmp_path / "errors.csv"
    result = run("customers", "import", str(FIXTURES / "customers_errors.csv"), "--errors", str(errors))
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("imported ") and "rejected" in summary and "(utf-8)" in summary
    imported = int(summary.split()[1])
    rejected = int(summary.split("rejected ")[1].split()[0])
    assert imported >= 4 and rejected >= 8
    assert "line 3: name: name is required" in result.stderr
    assert "line 4: phones:" in result.stderr  # 1380013800 is one digit short
    with errors.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == rejected and {"3", "4", "5"} <= {r["line"] for r in rows}
    search = run("calls", "export", "-o", str(tmp_path / "x.csv"))  # the database is usable afterwards
    assert search.returncode == 0


def test_import_reads_a_gb18030_file_from_chinese_excel(run):
    result = run("customers", "import", str(FIXTURES / "customers_gb18030.csv"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("imported 3 customers, rejected 0 rows (gb18030)")


def test_importing_a_missing_file_is_one_line_and_exit_1(run):
    result = run("customers", "import", "nope.csv")
    assert (result.returncode, result.stderr.strip()) == (1, "cti: no such file: nope.csv")


def test_a_wrong_setting_is_one_line_and_exit_2(run):
    result = run("migrate", CTI_TIMEZONE="Mars/Olympus")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "cti: settings: CTI_TIMEZONE: unknown time zone 'Mars/Olympus'; use an IANA name such as Asia/Shanghai"
    ]


def test_user_add_checks_the_password_and_the_interface(run):
    short = run("user", "add", "1009", "--password", "short")
    assert (short.returncode, short.stderr.strip()) == (1, "cti: password: at least 8 characters")
    bad = run("user", "add", "1009", "--password-stdin", "--interface", "PJSIP/1009\r\nAction: Hangup", stdin="secret-pw\n")
    assert bad.returncode == 1 and "not a PBX interface" in bad.stderr
    ok = run("user", "add", "1009", "--password-stdin", "--interface", "PJSIP/1009", "--name", "王芳", stdin="secret-pw\n")
    assert ok.returncode == 0 and "user 1009 added (role agent, interface PJSIP/1009)" in ok.stdout
    again = run("user", "add", "1009", "--password-stdin", stdin="secret-pw\n")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_demo_seed_is_idempotent_and_export_writes_xlsx(run, tmp_path):
    first = run("demo", "--customers", "30")
    # 3 agents, the admin and 4 engineers; every state of every workflow and the repeat complaint (22), and
    # on-site jobs for the 北京/上海 customers without a ticket (3 of 30 customers)
    assert first.stdout.strip() == "demo: 30 customers, 8 logins and 24 tickets added"
    second = run("demo", "--customers", "30")
    assert second.stdout.strip() == "demo: 0 customers, 0 logins and 0 tickets added"
    out = tmp_path / "calls.xlsx"
    exported = run("calls", "export", "--format", "xlsx", "--since", "2026-01-01", "-o", str(out))
    assert exported.stdout.strip() == f"exported 2 calls to {out}"  # the repeat caller's complaint
    sheet = openpyxl.load_workbook(out).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:3] == ["call_id", "direction", "offered_at"]


def test_a_bad_date_option_is_a_usage_error(run):
    result = run("calls", "export", "--since", "yesterday")
    assert result.returncode == 2 and "not a date (YYYY-MM-DD): 'yesterday'" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(port: int, *, as_user: tuple[str, str] | None = None) -> tuple[int, dict]:
    """``GET /status`` anonymously, or logged in through the login form as ``(username, password)``."""
    import http.cookiejar
    import re
    import urllib.parse

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    base = f"http://127.0.0.1:{port}"
    if as_user is not None:
        with opener.open(f"{base}/login", timeout=10) as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)
        form = urllib.parse.urlencode({"username": as_user[0], "password": as_user[1], "csrf_token": token})
        opener.open(f"{base}/login", data=form.encode(), timeout=10).close()
    try:
        with opener.open(f"{base}/status", timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_serve_with_a_pbx_on_this_host_names_that_pbx_not_the_simulator(run, tmp_path):
    """CTI_AMI_HOST=127.0.0.1 is a real Asterisk on the same machine: no simulator, no demo logins."""
    assert run("user", "add", "boss", "--role", "supervisor", "--password-stdin", stdin="boss-pass-1\n").returncode == 0
    ami_port, http_port = _free_port(), _free_port()  # nothing listens on ami_port: the bridge keeps retrying
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTI_")} | {
        "CTI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "CTI_AMI_HOST": "127.0.0.1", "CTI_AMI_PORT": str(ami_port), "CTI_HTTP_PORT": str(http_port)}
    proc = subprocess.Popen([sys.executable, "-m", "cti.cli", "serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    watchdog = threading.Timer(60, proc.kill)  # a hung process fails the test instead of hanging it
    watchdog.start()
    try:
        announced = [proc.stdout.readline().rstrip("\n") for _ in range(2)]
        anonymous = _status(http_port)
        code, status = _status(http_port, as_user=("boss", "boss-pass-1"))
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        watchdog.cancel()
    assert announced == [f"Hotline CTI console: http://127.0.0.1:{http_port}/", f"PBX: AMI 127.0.0.1:{ami_port}"]
    assert "simulator" not in out + err and "demo" not in out
    assert anonymous == (503, {"ok": False})  # a stranger learns only that something is down
    ami = status["components"]["ami"]
    assert (code, ami["host"], ami["port"]) == (503, "127.0.0.1", ami_port) and ami["state"] != "connected"
    assert proc.returncode == 0, err


def test_user_disable_and_enable_end_the_sessions_and_say_so(run, tmp_path):
    import sqlite3

    assert run("user", "add", "agent7", "--password-stdin", "--interface", "PJSIP/1007", stdin="secret-pass-7\n").returncode == 0
    db = sqlite3.connect(tmp_path / "cli.db")
    uid = db.execute("SELECT id FROM users WHERE username = 'agent7'").fetchone()[0]
    for n in range(2):  # two logins (two browsers), as the console writes them
        db.execute("INSERT INTO web_sessions (id, user_id, data, created_at, last_seen_at, expires_at) VALUES "
                   "(?, ?, '{}', '2026-12-01 00:00:00', '2026-12-01 00:00:00', '2099-01-01 00:00:00')", (f"s{n}", uid))
    db.commit()

    disabled = run("user", "disable", "agent7")
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.strip() == "user agent7 disabled; 2 sessions ended (open consoles close within seconds)"
    assert db.execute("SELECT active FROM users WHERE id = ?", (uid,)).fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM web_sessions WHERE revoked_at IS NULL").fetchone() == (0,)
    listed = run("user", "list").stdout.splitlines()
    assert listed == ["agent7\tagent\tPJSIP/1007\tdisabled\tagent7"]
    assert run("user", "enable", "agent7").stdout.strip() == "user agent7 enabled"
    assert db.execute("SELECT active FROM users WHERE id = ?", (uid,)).fetchone() == (1,)
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE entity = 'user' ORDER BY id")]
    assert actions == ["create", "disable", "enable"]
    missing = run("user", "disable", "nobody")
    assert (missing.returncode, missing.stderr.strip()) == (1, "cti: no user 'nobody'")


async def test_a_user_disabled_from_the_command_line_loses_the_open_console_of_the_running_service(run, tmp_path):
    """Two processes, as in production: `cti serve` and an operator's `cti user disable`."""
    import asyncio
    import re

    import aiohttp

    assert run("user", "add", "agent7", "--password-stdin", "--interface", "PJSIP/1007", stdin="secret-pass-7\n").returncode == 0
    http_port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTI_")} | {
        "CTI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "CTI_AMI_HOST": "127.0.0.1", "CTI_AMI_PORT": str(_free_port()), "CTI_HTTP_PORT": str(http_port)}
    proc = subprocess.Popen([sys.executable, "-m", "cti.cli", "serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    watchdog = threading.Timer(90, proc.kill)
    watchdog.start()
    base = f"http://127.0.0.1:{http_port}"
    try:
        assert proc.stdout.readline().startswith("Hotline CTI console:")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:  # cookies of 127.0.0.1
            page = await (await browser.get(f"{base}/login")).text()
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            login = await browser.post(f"{base}/login", allow_redirects=False, data={
                "username": "agent7", "password": "secret-pass-7", "csrf_token": token})
            assert login.status == 302
            ws = await browser.ws_connect(f"{base}/ws", headers={"Origin": base})
            assert (await ws.receive_json(timeout=5))["type"] == "hello"
            disabled = await asyncio.to_thread(run, "user", "disable", "agent7")
            assert "1 sessions ended" in disabled.stdout
            closed = await ws.receive(timeout=15)  # the service rechecks its channels every 5 s
            while closed.type == aiohttp.WSMsgType.TEXT:  # the snapshot, a heartbeat
                closed = await ws.receive(timeout=15)
            assert (closed.type, closed.data) == (aiohttp.WSMsgType.CLOSE, 4401)
            again = await browser.get(f"{base}/", allow_redirects=False)
            assert again.status == 302 and again.headers["Location"].startswith("/login")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        watchdog.cancel()
