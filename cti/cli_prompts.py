"""``cti prompts build``: the dialplan's voice prompts rendered in Chinese and English (docs/OPERATIONS.md,
"Voice prompts")."""

from __future__ import annotations

import argparse
from pathlib import Path

from cti.cli import CliError
from cti.config import Settings
from cti.prompts import render
from cti.prompts.catalog import LANGUAGES, prompt_names


def languages(value: str) -> tuple[str, ...]:
    """``--language zh,en``: known languages, in the order given."""
    chosen = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [lang for lang in chosen if lang not in LANGUAGES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"languages are {', '.join(LANGUAGES)} (comma-separated), not {value!r}")
    return chosen


def add_parser(sub) -> None:
    prompts = sub.add_parser("prompts", help="the voice prompts the dialplan plays").add_subparsers(
        required=True, metavar="ACTION")
    build_ = prompts.add_parser("build", help="render the prompts with espeak-ng and sox into Asterisk's 8 kHz WAV "
                                              "(<out>/<lang>/hotline/<name>.wav)")
    build_.add_argument("--out", type=Path, default=Path("var/sounds"),
                        help="the sounds directory to write into (default: var/sounds)")
    build_.add_argument("--language", type=languages, default=LANGUAGES, metavar="zh,en",
                        help="comma-separated languages (default: zh,en)")
    build_.add_argument("--only", nargs="+", metavar="NAME", help="only these prompts, e.g. survey-question goodbye")
    build_.set_defaults(func=build)


def _chosen_names(only: list[str] | None) -> list[str]:
    known = prompt_names()
    if not only:
        return known
    unknown = [name for name in only if name not in known]
    if unknown:
        raise CliError(f"no such prompt: {', '.join(unknown)} (the names are in cti/prompts/texts.toml)")
    return list(dict.fromkeys(only))


def _progress(built: render.Built) -> None:
    print(f"{built.language}/hotline/{built.name}.wav  {built.seconds:.1f} s", flush=True)


async def build(args: argparse.Namespace, settings: Settings) -> int:
    names = _chosen_names(args.only)
    try:
        built = render.build(args.out, args.language, names, progress=_progress)
    except render.PromptError as exc:
        raise CliError(f"prompts: {exc}") from None
    except OSError as exc:
        raise CliError(f"prompts: cannot write under {args.out}: {exc.strerror or exc}") from None
    print(f"built {len(built)} prompts in {args.out} ({', '.join(args.language)})")
    return 0
