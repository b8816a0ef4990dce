"""The webhook's signature and retry schedule: known vectors (computed with ``openssl dgst -sha256 -hmac``)."""

from __future__ import annotations

import datetime as dt

import pytest

from cti.tickets import webhook

SECRET = b"whsec-test-0123456789abcdef"
BODY = b'{"event":"escalation","level":1}'
STAMP = 1764554400
# printf '%s' '1764554400.{"event":"escalation","level":1}' | openssl dgst -sha256 -hmac 'whsec-test-0123456789abcdef'
KNOWN = "d11883950262081b89cb0ec933f890dcd7bd5489e96abc0d8f7ab14fa93190f2"


def test_hmac_sha256_matches_rfc_4231():
    assert webhook.signature(b"Jefe", b"what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


def test_the_headers_sign_the_timestamp_and_the_raw_body():
    headers = webhook.signed_headers(SECRET, BODY, STAMP, event="escalation", delivery_id=42)
    assert headers["X-CTI-Signature"] == "sha256=" + KNOWN
    assert (headers["X-CTI-Timestamp"], headers["X-CTI-Delivery"], headers["X-CTI-Event"]) == (
        "1764554400", "42", "escalation")
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("body", "stamp", "signature", "now", "ok"),
    [
        (BODY, "1764554400", "sha256=" + KNOWN, STAMP + 10, True),
        (BODY, "1764554400", "sha256=" + KNOWN, STAMP - 299, True),  # a receiver's clock a little behind
        (BODY + b" ", "1764554400", "sha256=" + KNOWN, STAMP, False),  # the body was changed
        (BODY, "1764554401", "sha256=" + KNOWN, STAMP, False),  # the timestamp was changed
        (BODY, "1764554400", "sha256=" + KNOWN, STAMP + 301, False),  # replayed later
        (BODY, "1764554400", KNOWN, STAMP, False),  # without the scheme prefix
        (BODY, "yesterday", "sha256=" + KNOWN, STAMP, False),
    ],
)
def test_verify_refuses_a_changed_or_replayed_message(body, stamp, signature, now, ok):
    assert webhook.verify(SECRET, body, stamp, signature, now=now) is ok


def test_retries_wait_1_2_4_minutes_doubling_up_to_an_hour():
    waits = [webhook.backoff(n) for n in range(1, 10)]
    assert [w // dt.timedelta(minutes=1) for w in waits] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_the_body_is_compact_sorted_utf8_json():
    assert webhook.body_of({"b": "投诉", "a": 1}) == '{"a":1,"b":"投诉"}'.encode()
