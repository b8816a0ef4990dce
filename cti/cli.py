"""The ``cti`` command: serve, migrate, demo, sim, user add/disable/enable/list, customers import, calls export,
tickets export/import (``cti/cli_tickets.py``), prompts build (``cti/cli_prompts.py``),
campaigns import/export (``cti/cli_campaigns.py``), reports rebuild (``cti/cli_reports.py``).

Errors are one clear line on stderr and a non-zero exit (2: wrong usage or settings, 1: the work failed).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import logging
import sys
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from cti.config import Settings, SettingsError, load_settings
from cti.users.models import ROLES

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


class CliError(Exception):
    """A failure to report as one line (exit 1)."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = load_settings(args.config, **_overrides(args))
        return asyncio.run(args.func(args, settings))
    except SettingsError as exc:
        print(f"cti: settings: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"cti: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "http_host": getattr(args, "host", None),
        "http_port": getattr(args, "port", None),
        "database_url": getattr(args, "database_url", None),
    }


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cti", description="Hotline CTI: screen pops and call log beside an Asterisk PBX")
    p.add_argument("--config", help="TOML settings file (CTI_* environment variables override it)")
    p.add_argument("--database-url", help="overrides CTI_DATABASE_URL")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the service (starts the bundled PBX simulator unless CTI_AMI_HOST is set)")
    serve.add_argument("--host", help="console address to bind (CTI_HTTP_HOST)")
    serve.add_argument("--port", type=int, help="console port (CTI_HTTP_PORT)")
    serve.set_defaults(func=_lazy("cti.cli_serve", "serve"))

    migrate = sub.add_parser("migrate", help="bring the database to the newest schema")
    migrate.set_defaults(func=_migrate)

    demo = sub.add_parser("demo", help="seed demo customers and logins into the database (idempotent)")
    demo.add_argument("--customers", type=int, default=200)
    demo.add_argument("--seed", type=int, default=2026)
    demo.set_defaults(func=_demo)

    sim = sub.add_parser("sim", help="run the PBX simulator alone (AMI on --ami-port, control API on --control-port)")
    sim.add_argument("--ami-port", type=int, default=5038)
    sim.add_argument("--control-port", type=int, default=8089)
    sim.add_argument("--calls-per-minute", type=float, default=None)
    sim.set_defaults(func=_lazy("cti.cli_serve", "sim"))

    user = sub.add_parser("user", help="console users").add_subparsers(required=True, metavar="ACTION")
    add = user.add_parser("add", help="add a user (agent, supervisor or admin)")
    add.add_argument("username")
    add.add_argument("--password", help="the password (default: asked, or read from stdin with --password-stdin)")
    add.add_argument("--password-stdin", action="store_true")
    add.add_argument("--role", default="agent", choices=ROLES)
    add.add_argument("--interface", help="the PBX interface the login is bound to, e.g. PJSIP/1001")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--language", choices=("zh", "en"))
    add.set_defaults(func=_user_add)
    for action, verb in (("disable", "disable a login and end its sessions at once"), ("enable", "enable a login again")):
        toggle = user.add_parser(action, help=verb)
        toggle.add_argument("username")
        toggle.set_defaults(func=_user_set_active, active=action == "enable")
    user.add_parser("list", help="list the users").set_defaults(func=_user_list)

    cust = sub.add_parser("customers", help="customer data").add_subparsers(required=True, metavar="ACTION")
    imp = cust.add_parser("import", help="import customers from a CSV file (UTF-8 or GB18030; see README)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--errors", type=Path, help="also write the rejected rows' errors to this CSV file")
    imp.set_defaults(func=_customers_import)

    calls = sub.add_parser("calls", help="the call log").add_subparsers(required=True, metavar="ACTION")
    exp = calls.add_parser("export", help="export the call log (formula-safe)")
    exp.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    exp.add_argument("--since", type=_local_day, help="first day, YYYY-MM-DD in CTI_TIMEZONE")
    exp.add_argument("--until", type=_local_day, help="last day, YYYY-MM-DD in CTI_TIMEZONE (inclusive)")
    exp.add_argument("--output", "-o", type=Path, help="file to write (default: calls-<date>.<format>)")
    exp.set_defaults(func=_calls_export)
    _tickets_parser(sub)
    _prompts_parser(sub)
    _campaigns_parser(sub)
    _reports_parser(sub)
    return p


def _prompts_parser(sub: Any) -> None:
    from cti.cli_prompts import add_parser

    add_parser(sub)


def _tickets_parser(sub: Any) -> None:
    from cti.tickets.workflow import SERVICE_TYPES, WORKFLOWS

    states = tuple(dict.fromkeys(s for wf in WORKFLOWS.values() for s in wf.states))
    tickets = sub.add_parser("tickets", help="tickets").add_subparsers(required=True, metavar="ACTION")
    exp = tickets.add_parser("export", help="export the ticket list (formula-safe; see README)")
    exp.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    exp.add_argument("--since", type=_local_day, help="opened on or after this day, YYYY-MM-DD in CTI_TIMEZONE")
    exp.add_argument("--until", type=_local_day, help="opened on or before this day, YYYY-MM-DD in CTI_TIMEZONE")
    exp.add_argument("--state", choices=states, metavar="STATE", help="one state: " + ", ".join(states))
    exp.add_argument("--type", choices=SERVICE_TYPES, help="one service type")
    exp.add_argument("--open", action="store_true", help="open tickets only")
    exp.add_argument("--output", "-o", type=Path, help="file to write (default: tickets-<date>.<format>)")
    exp.set_defaults(func=_lazy("cti.cli_tickets", "export"))
    imp = tickets.add_parser("import", help="import the open tickets of the system being replaced (CSV; see README)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="check every row against the database, write nothing")
    imp.add_argument("--errors", type=Path, help="also write the rejected rows' errors to this CSV file")
    imp.set_defaults(func=_lazy("cti.cli_tickets", "import_"))


def _campaigns_parser(sub: Any) -> None:
    campaigns = sub.add_parser("campaigns", help="outbound campaigns").add_subparsers(required=True, metavar="ACTION")
    imp = campaigns.add_parser("import", help="import contacts from a CSV file into a campaign (see docs/OPERATIONS.md)")
    imp.add_argument("campaign", help="the campaign's name or number")
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=_lazy("cti.cli_campaigns", "import_"))
    exp = campaigns.add_parser("export", help="export a campaign's results, one row per contact (formula-safe)")
    exp.add_argument("campaign", help="the campaign's name or number")
    exp.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    exp.add_argument("--attempts", action="store_true", help="one row per attempt instead")
    exp.add_argument("--out", "-o", type=Path, help="file to write (default: campaign-<id>-results-<date>.<format>)")
    exp.set_defaults(func=_lazy("cti.cli_campaigns", "export"))


def _reports_parser(sub: Any) -> None:
    reports = sub.add_parser("reports", help="the supervisors' reports").add_subparsers(required=True, metavar="ACTION")
    rebuild = reports.add_parser("rebuild", help="rebuild the reports' daily aggregates of a range of days (idempotent)")
    rebuild.add_argument("--from", dest="first", type=_local_day, required=True, help="first day, YYYY-MM-DD in CTI_TIMEZONE")
    rebuild.add_argument("--to", dest="last", type=_local_day, help="last day, inclusive (default: the first day)")
    rebuild.set_defaults(func=_lazy("cti.cli_reports", "rebuild"))


def _lazy(module: str, name: str) -> Command:
    async def run(args: argparse.Namespace, settings: Settings) -> int:
        import importlib

        return await getattr(importlib.import_module(module), name)(args, settings)

    return run


def _local_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


async def _open_db(settings: Settings):
    from cti.store import Database
    from cti.store.migrate import upgrade

    db = Database(settings.database_url)
    try:
        await upgrade(db)
    except Exception as exc:  # an unreachable server, a read-only file...
        await db.close()
        raise CliError(f"database {db.url.render_as_string(hide_password=True)}: {exc}") from None
    return db


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    db = await _open_db(settings)
    await db.close()
    print("database is at the newest schema")
    return 0


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from cti import demo
    from cti.customers.demo import generate

    db = await _open_db(settings)
    try:
        today = dt.datetime.now(settings.zone).date()  # warranty states as the console will judge them
        report = await demo.seed(db, generate(args.seed, args.customers, today=today), region=settings.default_region,
                                 zone=settings.timezone)
    finally:
        await db.close()
    print(f"demo: {report.customers} customers, {report.users} logins and {report.tickets} tickets added")
    return 0


async def _users_work(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """``work(session)`` on a migrated database; a ``UserError`` is one line (exit 1)."""
    from cti.users import service as users

    db = await _open_db(settings)
    try:
        async with db.session() as session:
            return await work(session)
    except users.UserError as exc:
        raise CliError(str(exc)) from None
    finally:
        await db.close()


async def _user_add(args: argparse.Namespace, settings: Settings) -> int:
    from cti.users import service as users

    password = args.password
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif password is None:
        password = getpass.getpass(f"password for {args.username}: ")
    user = await _users_work(settings, lambda session: users.create(
        session, username=args.username, password=password, role=args.role,
        interface=args.interface, display_name=args.name, language=args.language, actor="cli",
    ))
    print(f"user {user.username} added (role {user.role}, interface {user.interface or 'none'})")
    return 0


async def _user_set_active(args: argparse.Namespace, settings: Settings) -> int:
    from cti.users import service as users

    user, ended = await _users_work(
        settings, lambda session: users.set_active(session, args.username, args.active, actor="cli"))
    if args.active:
        print(f"user {user.username} enabled")
    else:
        print(f"user {user.username} disabled; {ended} sessions ended (open consoles close within seconds)")
    return 0


async def _user_list(args: argparse.Namespace, settings: Settings) -> int:
    from cti.users import service as users

    for u in await _users_work(settings, users.all_users):
        state = "active" if u.active else "disabled"
        print(f"{u.username}\t{u.role}\t{u.interface or '-'}\t{state}\t{u.display_name}")
    return 0


async def _customers_import(args: argparse.Namespace, settings: Settings) -> int:
    from cti.customers.importer import import_file

    report = await import_with_progress(args.file, settings, lambda db, progress: import_file(
        db, args.file, region=settings.default_region, progress=progress))
    print_row_errors(report.errors, args.errors)
    print(f"imported {report.created} customers, rejected {len(report.errors)} rows ({report.encoding})")
    return 1 if report.errors and not report.created else 0


async def import_with_progress(path: Path, settings: Settings,
                               work: Callable[[Any, Callable[[int], None]], Awaitable[Any]]) -> Any:
    """An import of ``path``: ``work(db, progress)`` on the migrated database under a progress bar on stderr
    (``progress(n)``: records read); a missing file is one line (exit 1)."""
    from cti.csv_input import count_records

    if not path.is_file():
        raise CliError(f"no such file: {path}")
    total = count_records(path)
    db = await _open_db(settings)
    try:
        with progress_bar("importing") as bar:
            task = bar.add_task("import", total=total)
            return await work(db, lambda n: bar.update(task, completed=n))
    finally:
        await db.close()


def progress_bar(label: str):
    """A rich progress bar on stderr (the summary line stays alone on stdout), gone when done."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    return Progress(*columns, transient=True, console=_stderr_console())


def print_row_errors(errors: list[Any], path: Path | None) -> None:
    """The first 50 rejected rows on stderr (line, column, reason); all of them in ``path`` when given."""
    for err in errors[:50]:
        print(f"line {err.line}: {err.column or 'file'}: {err.message}", file=sys.stderr)
    if len(errors) > 50:
        print(f"… and {len(errors) - 50} more errors", file=sys.stderr)
    if path:
        _write_errors(path, errors)


def _write_errors(path: Path, errors) -> None:
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["line", "column", "code", "message", "value"])
        for e in errors:
            writer.writerow([e.line, e.column, e.code, e.message, e.value])


async def _calls_export(args: argparse.Namespace, settings: Settings) -> int:
    from cti.calls import export, queries

    tz = settings.zone
    since = dt.datetime.combine(args.since, dt.time(), tz) if args.since else None
    until = dt.datetime.combine(args.until + dt.timedelta(days=1), dt.time(), tz) if args.until else None
    output = args.output or Path(f"calls-{dt.date.today().isoformat()}.{args.format}")

    async def rows(db: Any) -> AsyncIterator[list[Any]]:
        async with db.session() as session:
            async for call in queries.stream(session, queries.CallFilter(since=since, until=until)):
                yield export.row(call, tz)

    n = await export_with_progress(settings, output, args.format, export.COLUMNS, "calls", rows)
    print(f"exported {n} calls to {output}")
    return 0


async def export_with_progress(settings: Settings, output: Path, kind: str, header: Sequence[str], title: str,
                               rows: Callable[[Any], AsyncIterable[Sequence[Any]]],
                               total: Callable[[Any], Awaitable[int]] | None = None) -> int:
    """Write ``rows(db)`` to ``output`` as CSV or XLSX (:mod:`cti.sheets`) under a progress bar on stderr
    (towards ``total(db)`` when known); the number of rows. A file that cannot be written is one line."""
    from cti import sheets

    db = await _open_db(settings)
    try:
        count = await total(db) if total else None
        with output.open("wb") as fh, progress_bar("exporting") as bar:
            task = bar.add_task("export", total=count)
            counted = sheets.counted(rows(db), lambda n: bar.update(task, completed=n))
            return await sheets.write(kind, header, counted, fh, title=title)
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror}") from None
    finally:
        await db.close()


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


if __name__ == "__main__":  # python -m cti.cli: run the imported module's main, whose CliError the
    from cti.cli import main as _main  # lazily loaded commands (cti/cli_*.py) raise, not this __main__ copy's

    sys.exit(_main())
