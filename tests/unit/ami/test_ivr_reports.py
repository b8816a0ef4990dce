"""The hotline's IVRs report through UserEvents (dialplans/hotline.conf): the tracker turns each into the
domain event the campaigns act on, with the attempt it belongs to.

The recorded rated survey (sip_survey_rated.ami) is replayed with its UserEvent rewritten the way the
``hotline-*`` contexts send it (the same fields, plus ``Attempt`` and ``Tries``, or another UserEvent).
"""

from __future__ import annotations

import pytest

from cti.ami.framing import AmiFramer
from cti.ami.tracker import CallTracker
from cti.events import CustomerDialled, NotificationKeyed, SurveyKeyed
from tests.unit.ami.replay import feed_all, trace_bytes

RECORDED = (b"UserEvent: SurveyResult\r\nCampaign: csat-2026-08\r\nContact: +8613800138000\r\n"
            b"Rating: 4\r\n")
CALL_ID = "1795790416.27"


def replayed_with(user_event: bytes) -> list:
    data = trace_bytes("sip_survey_rated.ami")
    assert data.count(RECORDED) == 1
    framer = AmiFramer()
    return feed_all(CallTracker(), framer.feed(data.replace(RECORDED, user_event)))


def survey(rating: bytes, attempt: bytes = b"cti-7-2") -> SurveyKeyed:
    found = [e for e in replayed_with(b"UserEvent: SurveyResult\r\nCampaign: 3\r\nContact: 7\r\nAttempt: " + attempt
                                       + b"\r\nRating: " + rating + b"\r\nTries: 2\r\n") if type(e) is SurveyKeyed]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(("rating", "expected", "key"), [(b"4", 4, "4"), (b"1", 1, "1"), (b"9", None, "9"),
                                                        (b"", None, ""), (b"7", None, ""), (b"45", None, "")])
def test_a_survey_result_carries_its_attempt_the_rating_and_the_key(rating, expected, key):
    keyed = survey(rating)
    assert (keyed.call_id, keyed.campaign, keyed.contact) == (CALL_ID, "3", "7")
    assert (keyed.action_id, keyed.rating, keyed.key) == ("cti-7-2", expected, key)


def test_a_survey_result_without_an_attempt_belongs_to_the_calls_originate():
    assert survey(b"5", attempt=b"").action_id == "survey-csat-2026-08-0001"


def test_a_notification_result_says_which_key_was_pressed():
    events = replayed_with(b"UserEvent: NotifyResult\r\nCampaign: 4\r\nContact: 9\r\nAttempt: cti-9-1\r\nKey: 1\r\n")
    assert [e for e in events if type(e) is NotificationKeyed] == [
        NotificationKeyed(CALL_ID, next(e.at for e in events if type(e) is NotificationKeyed), "cti-9-1", "1")]
    assert not [e for e in events if type(e) is SurveyKeyed]


def test_a_notification_without_a_key_or_with_garbage_reports_no_key():
    for garbage in (b"", b"12", b"<script>"):
        events = replayed_with(b"UserEvent: NotifyResult\r\nAttempt: cti-9-1\r\nKey: " + garbage + b"\r\n")
        assert [e.key for e in events if type(e) is NotificationKeyed] == [""]


def test_a_dial_result_reports_how_the_customer_leg_ended():
    events = replayed_with(b"UserEvent: DialResult\r\nAttempt: cti-5-1\r\nDialStatus: BUSY\r\n")
    assert [(e.action_id, e.dial_status) for e in events if type(e) is CustomerDialled] == [("cti-5-1", "BUSY")]


def test_other_user_events_are_not_ours():
    events = replayed_with(b"UserEvent: SomethingElse\r\nRating: 4\r\n")
    assert not [e for e in events if type(e) in (SurveyKeyed, NotificationKeyed, CustomerDialled)]
