"""Command line: ``python -m pbxsim --port 5038 --control-port 8089 --calls-per-minute 10``.

Runs until interrupted (Ctrl-C / SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from .config import SimConfig, classes_from_manager_conf, load_callers
from .simulator import Simulator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pbxsim", description="Asterisk 22 AMI simulator (PJSIP trunk, queue support).")
    parser.add_argument("--host", default="127.0.0.1", help="AMI bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5038, help="AMI port; 0 = any free port (default 5038)")
    parser.add_argument("--control-host", default="127.0.0.1", help="HTTP control API bind address")
    parser.add_argument("--control-port", type=int, default=None, help="HTTP control API port; omit to disable")
    parser.add_argument("--username", default="cti", help="AMI user (default cti)")
    parser.add_argument("--secret", default="ctisecret", help="AMI secret (default ctisecret)")
    parser.add_argument("--manager-conf", default=None, metavar="FILE",
                        help="take the user's read/write classes from this manager.conf (its [USERNAME] "
                             "section), e.g. asterisk-dev/manager.conf; default: read = all, write = all")
    parser.add_argument("--time-scale", type=float, default=1.0, help="1.0 = real time, 0.1 = ten times faster")
    parser.add_argument("--calls-per-minute", type=float, default=0.0, help="start the random mix at this rate")
    parser.add_argument("--calls-per-second", type=float, default=None, help="random mix rate per second")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random mix")
    parser.add_argument("--callers", default=None, help="CSV file of number,name for the random mix")
    parser.add_argument("--no-rtcp", action="store_true", help="do not emit RTCPSent/RTCPReceived")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def config_from(args: argparse.Namespace) -> SimConfig:
    config = SimConfig(host=args.host, port=args.port, control_host=args.control_host,
                       control_port=args.control_port, username=args.username, secret=args.secret,
                       time_scale=args.time_scale, rtcp=not args.no_rtcp)
    if args.callers:
        config.callers = load_callers(args.callers)
    if args.manager_conf:
        classes = classes_from_manager_conf(args.manager_conf, args.username)
        config.read, config.write = classes["read"], classes["write"]
    return config


async def serve(args: argparse.Namespace, config: SimConfig) -> None:
    sim = Simulator(config)
    await sim.start()
    control = f", control API http://{args.control_host}:{sim.control_port}" if sim.control_port else ""
    print(f"pbxsim: AMI on {args.host}:{sim.port}{control}", flush=True)
    if args.calls_per_minute or args.calls_per_second:
        sim.start_generator(calls_per_minute=args.calls_per_minute or None,
                            calls_per_second=args.calls_per_second, seed=args.seed)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
            pass
    try:
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from(args)
    except (OSError, ValueError) as exc:  # an unreadable manager.conf, or no [USERNAME] in it
        parser.error(str(exc))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(args, config))
    except KeyboardInterrupt:  # pragma: no cover
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
