"""Every refusal and every word of the callback pages, the schedule dialog and a callback's pop has its sentence
in both catalogs (zh, en), and the ``callback.`` / ``followup.`` keys are the same in both: a code added to
the callbacks' code without its message fails here, not on an agent's screen."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CATALOGS = {lang: json.loads((ROOT / "web" / "i18n" / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("zh", "en")}
PREFIXES = ("callback.", "followup.")


def found(paths: tuple[str, ...], pattern: str) -> set[str]:
    return {m for path in paths for m in re.findall(pattern, (ROOT / path).read_text(encoding="utf-8"))}


CALLBACK_ERRORS = found(("cti/campaigns/callbacks.py", "cti/http/callback_forms.py"), r'CallbackError\("(\w+)"')
FOLLOWUP_ERRORS = found(("cti/campaigns/surveys.py",), r'FollowupError\("(\w+)"')
USED = found(("web/templates/callbacks.html", "web/templates/_callbacks.html", "web/templates/callback_new.html",
              "web/templates/base.html", "web/templates/ticket.html", "web/templates/campaign_contact.html",
              "web/static/js/callback-why.js", "web/static/js/pop-card.js", "cti/http/callback_support.py",
              "cti/http/callback_pages.py", "cti/http/callback_forms.py", "cti/http/followup_pages.py"),
             r"""["']((?:callback|followup)\.[a-z_.0-9]+[a-z0-9_])["']""")
KEYS = sorted({f"callback.error.{c}" for c in CALLBACK_ERRORS} | {f"followup.error.{c}" for c in FOLLOWUP_ERRORS}
              | {f"callback.call.{r}" for r in ("sent", "not_sent", "refused", "unknown")}
              | {f"callback.quick.{q}" for q in ("30m", "2h", "tomorrow", "at")}
              | {f"followup.rating.{n}" for n in range(1, 6)} | {f"followup.channel.{c}" for c in ("ivr", "form")}
              | {"callback.error.outside_window_closed"} | USED)


def test_the_scans_found_the_codes():
    assert {"no_number", "in_the_past", "not_yours", "taken", "outside_window", "lines_full", "bad_time"} <= CALLBACK_ERRORS
    assert {"rating_required", "not_assigned", "not_pending", "unknown_agent"} <= FOLLOWUP_ERRORS
    assert {"callback.why.abandoned", "callback.badge", "followup.title"} <= USED


@pytest.mark.parametrize("key", KEYS)
def test_each_word_is_in_both_catalogs(key):
    assert CATALOGS["zh"].get(key) and CATALOGS["en"].get(key), key


def test_the_callback_keys_are_the_same_in_both_catalogs_and_kept_together():
    ours = {lang: [k for k in catalog if k.startswith(PREFIXES)] for lang, catalog in CATALOGS.items()}
    assert ours["zh"] == ours["en"]
    for catalog in CATALOGS.values():  # one block: merges with others' keys stay easy
        keys = list(catalog)
        start = keys.index(ours["zh"][0])
        assert keys[start:start + len(ours["zh"])] == ours["zh"]


def test_the_placeholders_agree():
    for key in (k for k in CATALOGS["zh"] if k.startswith(PREFIXES)):
        zh, en = (set(re.findall(r"\{(\w+)\}", CATALOGS[lang][key])) for lang in ("zh", "en"))
        assert zh == en, key
