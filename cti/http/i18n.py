"""Translations for pages and scripts: one flat JSON catalog per language (``web/i18n/<lang>.json``).

Templates call ``t("key", name=...)``; the console script receives the same
catalog in a data attribute. A key missing from a catalog falls back to
English, then to the key itself, so a forgotten string is visible, never fatal.

>>> translate("en", "nav.calls")
'Call log'
>>> translate("zh", "no.such.key")
'no.such.key'
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Any

import jinja2

from cti.config import LANGUAGES
from cti.http.webdir import web_dir
from cti.phone import normalise

FALLBACK = "en"


@lru_cache(maxsize=len(LANGUAGES))
def catalog(lang: str) -> dict[str, str]:
    with open(web_dir() / "i18n" / f"{lang}.json", encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=len(LANGUAGES))
def catalog_json(lang: str) -> str:
    """The catalog as the browser gets it (English keys fill any gap)."""
    merged = dict(catalog(FALLBACK), **catalog(lang))
    return json.dumps(merged, ensure_ascii=False, separators=(",", ":"))


def translate(lang: str, key: str, **values: Any) -> str:
    text = catalog(lang).get(key) or catalog(FALLBACK).get(key) or key
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def pick(*candidates: str | None) -> str:
    """The first supported language among the candidates (user's choice, session, default)."""
    for lang in candidates:
        if lang in LANGUAGES:
            return lang
    return FALLBACK


@jinja2.pass_context
def t(ctx: jinja2.runtime.Context, key: str, **values: Any) -> str:
    return translate(ctx.get("lang") or FALLBACK, key, **values)


def local_time(value: dt.datetime | None, zone: dt.tzinfo, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return value.astimezone(zone).strftime(fmt) if value else ""


def phone_display(e164: str | None, raw: str = "", *, region: str = "CN") -> str:
    """A stored number as people read it: national form at home, international abroad."""
    if not e164:
        return raw
    info = normalise(e164, region=region)
    if not info.e164:
        return raw or e164
    return info.national if info.region == region else info.international


def seconds(value: int | float | None) -> str:
    """Talk/wait time as m:ss (or h:mm:ss); empty when unknown."""
    if value is None:
        return ""
    total = int(value)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
