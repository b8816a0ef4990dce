"""Every refusal and every word the campaign pages show has its sentence in both catalogs (zh, en): a code
added to the campaigns' code without its message fails here, not on a supervisor's screen."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cti.campaigns.models import CONTACT_STATES, FEEDS, KINDS, SOURCES, STATES
from cti.campaigns.policy import OUTCOMES

ROOT = Path(__file__).resolve().parents[3]
CATALOGS = {lang: json.loads((ROOT / "web" / "i18n" / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("zh", "en")}


def codes(path: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, (ROOT / path).read_text(encoding="utf-8")))


CAMPAIGN_ERRORS = (codes("cti/campaigns/forms.py", r'problems\.add\([^,]+, "(\w+)"')
                   | codes("cti/campaigns/admin.py", r'CampaignError\("(\w+)"')
                   | codes("cti/campaigns/contacts_import.py", r'CampaignError\("(\w+)"')
                   | codes("cti/http/campaign_import.py", r'CampaignError\("(\w+)"')
                   | {"bad_context", "bad_queue"})  # f"bad_{name}"
DNC_ERRORS = codes("cti/campaigns/dnc.py", r'DncError\("(\w+)"') | {"not_listed", "no_file"}
READING = {"required", "too_long", "invalid_phone", "phone_scientific", "extra_fields", "unknown_column",
           "duplicate_column", "missing_column", "csv_syntax", "bad_encoding", "empty_file"}  # cti.csv_input's
ROW_CODES = (READING | codes("cti/campaigns/contacts_import.py", r'RowProblem\("\w+", "(\w+)"')
             | codes("cti/campaigns/contacts_import.py", r'\[r\.line, "\w+", "(\w+)"'))

KEYS = sorted(
    {f"campaign.error.{c}" for c in CAMPAIGN_ERRORS} | {f"dnc.error.{c}" for c in DNC_ERRORS}
    | {f"campaign.import.code.{c}" for c in ROW_CODES}
    | {f"campaign.state.{s}" for s in STATES} | {f"campaign.state_hint.{s}" for s in STATES}
    | {f"campaign.contact_state.{s}" for s in CONTACT_STATES} | {f"campaign.outcome.{o}" for o in OUTCOMES}
    | {f"campaign.kind.{k}" for k in KINDS} | {f"campaign.source.{s}" for s in SOURCES}
    | {f"campaign.feed.{f}" for f in FEEDS if f}
    | {f"campaign.action.{a}" for a in ("start", "pause", "resume", "stop")}
    | {f"campaign.done.{a}" for a in ("start", "pause", "resume", "stop", "decide_done", "decide_redial")}
)


def test_the_scans_found_the_codes():
    assert {"bad_pacing", "never_open", "overlap", "bad_transition", "not_unknown", "already_ended"} <= CAMPAIGN_ERRORS
    assert {"invalid_number", "already_listed", "note_too_long"} <= DNC_ERRORS
    assert {"bad_language", "one_number", "invalid_phone", "missing_column"} <= ROW_CODES


@pytest.mark.parametrize("key", KEYS)
def test_each_word_is_in_both_catalogs(key):
    assert CATALOGS["zh"].get(key) and CATALOGS["en"].get(key), key


def test_the_campaign_and_dnc_keys_are_the_same_in_both_catalogs():
    ours = {lang: {k for k in catalog if k.startswith(("campaign.", "dnc."))} for lang, catalog in CATALOGS.items()}
    assert ours["zh"] == ours["en"]
