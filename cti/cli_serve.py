"""`cti serve` and `cti sim`: the long-running commands.

Without ``CTI_AMI_HOST`` the service runs beside the bundled PBX simulator
(asterisk-dev/pbxsim): the database is migrated and seeded with the demo
customers and logins, the simulator places calls from those customers (and
some unknown numbers), and the console shows them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import signal
import socket

from aiohttp import web

from cti.cli import CliError, _open_db
from cti.config import Settings

log = logging.getLogger("cti")

DEMO_TALK_SECONDS = (8.0, 45.0)


async def serve(args: argparse.Namespace, settings: Settings) -> int:
    db = await _open_db(settings)
    sim = None
    try:
        await _standard_campaigns(db)
        if settings.embedded_pbx:
            sim, settings = await _start_demo_pbx(db, settings)
        await _run_console(settings, db, simulated=sim is not None)
    finally:
        if sim is not None:
            await sim.stop()
        await db.close()
    return 0


async def sim(args: argparse.Namespace, settings: Settings) -> int:
    """The simulator alone, for a service started separately with CTI_AMI_HOST=127.0.0.1."""
    from pbxsim import Simulator

    simulator = Simulator(_sim_config(settings, port=args.ami_port, control_port=args.control_port))
    try:
        await simulator.start()
    except OSError as exc:
        raise CliError(f"simulator cannot listen on port {args.ami_port}: {exc.strerror}") from None
    rate = settings.sim_calls_per_minute if args.calls_per_minute is None else args.calls_per_minute
    if rate > 0:
        simulator.start_generator(calls_per_minute=rate, seed=2026, talk=DEMO_TALK_SECONDS)
    print(f"PBX simulator: AMI on 127.0.0.1:{simulator.port}, control API on 127.0.0.1:{simulator.control_port}, "
          f"{rate:g} calls/minute")
    try:
        await _until_signalled()
    finally:
        await simulator.stop()
    return 0


async def _standard_campaigns(db) -> None:
    """The campaigns every hotline starts with (cti/campaigns/standard.py), once."""
    from cti.campaigns.standard import ensure_standard
    from cti.store.base import utcnow

    created = await db.write(ensure_standard, utcnow())
    if created:
        log.info("campaigns created: %s (set their caller ID on the campaign pages)", ", ".join(created))


def _sim_config(settings: Settings, *, port: int, control_port: int | None):
    """The bundled simulator with the AMI login of the settings and the read/write classes of the
    account the project documents (asterisk-dev/manager.conf, [cti]): the demo runs with least
    privilege, as a real PBX set up by docs/OPERATIONS.md would."""
    from pbxsim import SimConfig, documented_classes

    return SimConfig(host="127.0.0.1", port=port, control_port=control_port, username=settings.ami_username,
                     secret=settings.ami_secret.get_secret_value(), time_scale=settings.sim_time_scale,
                     **documented_classes())


async def _start_demo_pbx(db, settings: Settings):
    from pbxsim import Simulator

    from cti import demo
    from cti.campaigns import demo as campaign_demo
    from cti.customers.demo import callers, generate, unknown_numbers

    data = generate(today=dt.datetime.now(settings.zone).date())  # the demo's warranty mix holds on any day
    if settings.seed_demo:
        report = await demo.seed(db, data, region=settings.default_region, zone=settings.timezone)
        if report.customers or report.users or report.tickets:
            log.info("demo data: %d customers, %d logins and %d tickets added", report.customers, report.users,
                     report.tickets)
        added = await db.write(campaign_demo.seed, dt.datetime.now(dt.UTC), caller_id=campaign_demo.CALLER_ID)
        if added:
            log.info("demo campaigns: %d follow-ups and callbacks due in the next minutes", added)
    simulator = Simulator(_sim_config(settings, port=0, control_port=settings.sim_control_port or None))
    try:
        await simulator.start()
    except OSError as exc:
        raise CliError(f"simulator control API cannot listen on port {settings.sim_control_port}: {exc.strerror} "
                       "(set CTI_SIM_CONTROL_PORT to another port, or 0 for none)") from None
    campaign_demo.customer_behaviour(simulator, [number for number, _ in callers(data)])
    if settings.sim_calls_per_minute > 0:
        pool = callers(data) + [(n, "") for n in unknown_numbers(n=30)]
        simulator.start_generator(calls_per_minute=settings.sim_calls_per_minute, seed=2026, callers=pool,
                                  talk=DEMO_TALK_SECONDS)
    settings = settings.model_copy(update={"ami_host": "127.0.0.1", "ami_port": simulator.port})
    return simulator, settings


async def _run_console(settings: Settings, db, *, simulated: bool) -> None:
    from cti.app import create_app

    app = create_app(settings, db=db)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise CliError(f"cannot listen on {settings.http_host}:{settings.http_port}: {exc.strerror} "
                       "(set CTI_HTTP_PORT to a free port)") from None
    _announce(settings, simulated=simulated)
    try:
        await _until_signalled()
    finally:
        await runner.cleanup()


def _announce(settings: Settings, *, simulated: bool) -> None:
    """Print the console's address and the PBX the service talks to.

    ``simulated``: this process started the bundled simulator (then, and only then, the demo
    logins exist). A PBX on 127.0.0.1 is a real Asterisk on this host when ``CTI_AMI_HOST`` says so.
    """
    host = settings.http_host if settings.http_host not in ("0.0.0.0", "::") else socket.gethostname()
    lines = [f"Hotline CTI console: http://{host}:{settings.http_port}/"]
    if simulated:
        lines.append(f"PBX: the bundled simulator, AMI {settings.ami_host}:{settings.ami_port} "
                     "(set CTI_AMI_HOST to use a real Asterisk)")
        if settings.seed_demo:
            from cti.customers.demo import AGENTS

            lines.append("demo logins: " + ", ".join(f"{a.username} / {a.password}" for a in AGENTS))
    else:
        lines.append(f"PBX: AMI {settings.ami_host}:{settings.ami_port}")
    print("\n".join(lines), flush=True)


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
