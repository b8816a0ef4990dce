"""Every prompt the dialplan plays has a Chinese and an English text, and every text is played."""

from __future__ import annotations

import re
from pathlib import Path

from cti.prompts.catalog import LANGUAGES, NOTICES, prompt_names, prompts, text

ROOT = Path(__file__).resolve().parents[3]
DIALPLAN = ROOT / "dialplans" / "hotline.conf"
PLAYED = re.compile(r"\b(?:Playback|Background)\((hotline/[^,)]+)|\bRead\([^,]+,(hotline/[^,)]+)")
# What the dialplan puts in the variable part of a prompt's name.
VARIABLE_PARTS = {"${CTI_NOTICE}": NOTICES, "${DIGITS:0:1}": tuple("0123456789")}


def played_prompts() -> set[str]:
    """The names of ``hotline/<name>`` in Playback/Read, variable parts expanded to what they can be."""
    names: set[str] = set()
    for match in PLAYED.finditer(DIALPLAN.read_text(encoding="utf-8")):
        name = (match.group(1) or match.group(2)).removeprefix("hotline/")
        variable = re.search(r"\$\{[^}]*\}", name)
        if variable is None:
            names.add(name)
            continue
        assert variable.group(0) in VARIABLE_PARTS, f"what can {variable.group(0)} be in hotline/{name}?"
        names.update(name.replace(variable.group(0), value) for value in VARIABLE_PARTS[variable.group(0)])
    return names


def test_every_prompt_the_dialplan_plays_has_a_text():
    played = played_prompts()
    assert {"survey-question", "notify-waiting_parts", "digit-9", "connecting"} <= played
    assert played - set(prompt_names()) == set()


def test_every_text_is_played_by_the_dialplan():
    assert set(prompt_names()) - played_prompts() == set()


def test_each_prompt_is_spoken_in_chinese_and_in_english():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for name in prompt_names():
        assert cjk.search(text(name, "zh")), f"{name}: the zh text is not Chinese"
        assert not cjk.search(text(name, "en")) and text(name, "en").isascii(), f"{name}: the en text is not English"
    assert LANGUAGES == ("zh", "en")


def test_the_survey_question_names_every_key():
    for language in LANGUAGES:
        question = text("survey-question", language)
        assert all(key in question for key in "123459"), language
    assert "9" in text("survey-reprompt", "zh") and "9" in text("survey-reprompt", "en")


def test_notices_have_their_own_prompts():
    assert [name for name in prompts() if name.startswith("notify-") and name != "notify-press-1"] == [
        f"notify-{notice}" for notice in NOTICES]
