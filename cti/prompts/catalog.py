"""The prompt texts of ``texts.toml``: one per name and language.

>>> text("digit-7", "en")
'seven'
>>> "notify-" + NOTICES[0] in prompt_names()
True
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

LANGUAGES = ("zh", "en")  # CTI_LANGUAGE of a campaign call; the sound directories /var/lib/asterisk/sounds/<language>
NOTICES = ("repaired", "arrived", "extended", "waiting_parts")  # CTI_NOTICE of hotline-notify: prompt notify-<notice>


@cache
def prompts() -> dict[str, dict[str, str]]:
    """Every prompt: name → {language: text}, in the file's order; each has a non-empty text per language."""
    table = tomllib.loads(resources.files(__package__).joinpath("texts.toml").read_text(encoding="utf-8"))
    for name, texts in table.items():
        missing = [lang for lang in LANGUAGES if not str(texts.get(lang, "")).strip()]
        if missing:
            raise ValueError(f"texts.toml: prompt {name!r} has no text in {', '.join(missing)}")
    return {name: {lang: texts[lang].strip() for lang in LANGUAGES} for name, texts in table.items()}


def prompt_names() -> list[str]:
    return list(prompts())


def text(name: str, language: str) -> str:
    return prompts()[name][language]
