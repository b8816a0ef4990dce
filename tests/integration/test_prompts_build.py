"""``cti prompts build`` renders every prompt with espeak-ng and sox into what Asterisk plays.

Needs the Debian packages espeak-ng and sox (the CI installs them).
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from cti.prompts.catalog import LANGUAGES, prompt_names, text
from cti.prompts.render import VOICES

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                                reason="needs espeak-ng and sox (apt-get install espeak-ng sox)")


def wav_format(path: Path) -> tuple[int, int, int, float]:
    """(rate, channels, bytes per sample, seconds)."""
    with wave.open(str(path), "rb") as wav:
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes() / wav.getframerate()


def test_every_prompt_is_built_in_both_languages_as_asterisk_plays_it(run, tmp_path):
    out = tmp_path / "sounds"
    result = run("prompts", "build", "--out", str(out))
    assert result.returncode == 0, result.stderr
    names = prompt_names()
    for language in LANGUAGES:
        for name in names:
            rate, channels, width, seconds = wav_format(out / language / "hotline" / f"{name}.wav")
            assert (rate, channels, width) == (8000, 1, 2), f"{language}/{name}"
            assert seconds > 0.3, f"{language}/{name} lasts {seconds:.2f} s"
        assert sorted(p.name for p in (out / language / "hotline").iterdir()) == sorted(f"{n}.wav" for n in names)
    for name in names:
        assert (out / "zh/hotline" / f"{name}.wav").read_bytes() != (out / "en/hotline" / f"{name}.wav").read_bytes()
    lines = result.stdout.splitlines()
    assert len(lines) == 2 * len(names) + 1
    assert lines[0].startswith("zh/hotline/") and lines[0].endswith(" s")
    assert lines[-1] == f"built {2 * len(names)} prompts in {out} (zh, en)"


def test_a_rebuild_replaces_the_chosen_prompts_whole(run, tmp_path):
    out = tmp_path / "sounds"
    first = run("prompts", "build", "--out", str(out), "--language", "en", "--only", "goodbye", "digit-7")
    assert first.returncode == 0, first.stderr
    goodbye = out / "en/hotline/goodbye.wav"
    goodbye.write_bytes(b"not a wav")
    again = run("prompts", "build", "--out", str(out), "--language", "en", "--only", "goodbye")
    assert again.returncode == 0, again.stderr
    assert wav_format(goodbye)[:3] == (8000, 1, 2)
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["digit-7.wav", "goodbye.wav"]
    assert not (out / "zh").exists()


def test_the_chinese_voice_reads_chinese_not_pinyin_spelled_as_english():
    for name in prompt_names():
        phonemes = subprocess.run(["espeak-ng", "-v", VOICES["zh"], "-b", "1", "-q", "-x", "--stdin"],
                                  input=text(name, "zh").encode(), capture_output=True, check=True).stdout.decode()
        assert "(en)" not in phonemes, f"{name}: {phonemes}"


def test_missing_tools_and_unknown_names_are_one_line_errors(run, tmp_path):
    result = run("prompts", "build", "--out", str(tmp_path), PATH=str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == ("cti: prompts: espeak-ng and sox not found on PATH; "
                                     "install with: apt-get install espeak-ng sox")
    unknown = run("prompts", "build", "--out", str(tmp_path), "--only", "no-such-prompt")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1, "cti: no such prompt: no-such-prompt (the names are in cti/prompts/texts.toml)")
    language = run("prompts", "build", "--language", "fr")
    assert language.returncode == 2 and "languages are zh, en" in language.stderr
