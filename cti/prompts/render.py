"""Render prompt texts into what Asterisk plays: ``<out>/<lang>/hotline/<name>.wav``, 8 kHz mono 16-bit PCM.

espeak-ng speaks the text (22.05 kHz), sox converts it to Asterisk's ``wav`` format and normalises the
level. Both are Debian packages (``apt-get install espeak-ng sox``); they are run with argument lists,
never through a shell. Each file is written under a temporary name and renamed, so a rebuild replaces
prompts whole and an interrupted one leaves no half-written file behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cti.prompts.catalog import text

TOOLS = ("espeak-ng", "sox")
INSTALL_HINT = "install with: apt-get install espeak-ng sox"
# espeak-ng 1.51's plain "cmn" voice spells the pinyin it derives from Chinese characters as English
# ("你好" comes out as "ni three hao three"); cmn-latn-pinyin is the same Mandarin voice reading pinyin as pinyin.
VOICES = {"zh": "cmn-latn-pinyin", "en": "en"}
SPEED = {"zh": 150, "en": 155}  # words per minute: a little slower than espeak-ng's 175, for the telephone
SAMPLE_RATE = 8000
TIMEOUT = 60  # seconds for one tool run


class PromptError(Exception):
    """A prompt could not be built (a missing tool, a tool that failed)."""


@dataclass(frozen=True)
class Built:
    """One prompt file written."""

    name: str
    language: str
    path: Path
    seconds: float


def missing_tools() -> list[str]:
    """The tools not found on ``PATH``."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def check_tools() -> None:
    missing = missing_tools()
    if missing:
        raise PromptError(f"{' and '.join(missing)} not found on PATH; {INSTALL_HINT}")


def target(out: Path, language: str, name: str) -> Path:
    """Where Asterisk finds ``hotline/<name>`` for a channel of that language."""
    return out / language / "hotline" / f"{name}.wav"


def build(out: Path, languages: Iterable[str], names: Iterable[str],
          progress: Callable[[Built], None] = lambda built: None) -> list[Built]:
    """Render every (language, name); ``progress`` hears of each file as it is written."""
    check_tools()
    done = []
    with tempfile.TemporaryDirectory(prefix="cti-prompts-") as scratch:
        for language in languages:
            for name in names:
                built = render(name, language, target(out, language, name), Path(scratch))
                progress(built)
                done.append(built)
    return done


def render(name: str, language: str, path: Path, scratch: Path) -> Built:
    spoken = scratch / f"{language}-{name}.wav"
    speak(text(name, language), language, spoken)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    convert(spoken, partial)
    os.replace(partial, path)
    return Built(name, language, path, duration(path))


def speak(words: str, language: str, wav: Path) -> None:
    run(["espeak-ng", "-v", VOICES[language], "-s", str(SPEED[language]), "-b", "1", "--stdin", "-w", str(wav)],
        words)


def convert(source: Path, wav: Path) -> None:
    """To 8000 Hz, one channel, 16-bit signed PCM, peak at -3 dBFS."""
    run(["sox", str(source), "-t", "wav", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
         str(wav), "norm", "-3"])


def run(argv: list[str], stdin: str = "") -> None:
    try:
        result = subprocess.run(argv, input=stdin.encode("utf-8"), capture_output=True, timeout=TIMEOUT)
    except FileNotFoundError:
        raise PromptError(f"{argv[0]} not found on PATH; {INSTALL_HINT}") from None
    except subprocess.TimeoutExpired:
        raise PromptError(f"{argv[0]} did not finish within {TIMEOUT} s") from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip() or f"exit status {result.returncode}"
        raise PromptError(f"{argv[0]} failed: {detail}")


def duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()
