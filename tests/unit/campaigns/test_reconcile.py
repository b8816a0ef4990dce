"""Which open attempts are reconciled, and what each becomes (cti.campaigns.reconcile)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

from cti.campaigns.reconcile import (
    SETTLE_AFTER,
    STALE_AFTER,
    Candidate,
    LiveChannel,
    choose,
    claimer_gone,
    live_channels,
    verdict,
)

NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
ME = "host-a:100"


def candidate(action_id: str = "cti-1-1", *, age: dt.timedelta = dt.timedelta(minutes=1), by: str = "host-a:99",
              state: str = "claimed") -> Candidate:
    return Candidate(action_id, state, NOW - age, by)


def test_an_attempt_of_a_process_that_is_gone_is_reconciled_once_it_had_time_to_reach_the_pbx():
    gone = candidate(by="host-a:99")
    young = candidate("cti-2-1", age=SETTLE_AFTER - dt.timedelta(seconds=1), by="host-a:99")
    chosen = choose([gone, young], now=NOW, me=ME, login_since=NOW, gone=lambda claimer: claimer == "host-a:99")
    assert chosen == [gone]


def test_an_attempt_of_a_process_still_running_elsewhere_waits_until_it_is_stale():
    busy = candidate(by="host-b:7", age=STALE_AFTER - dt.timedelta(seconds=1))
    stale = candidate("cti-2-1", by="host-b:7", age=STALE_AFTER)
    assert choose([busy, stale], now=NOW, me=ME, login_since=NOW, gone=lambda claimer: False) == [stale]


def test_our_own_attempts_are_reconciled_only_when_placed_before_our_current_pbx_login():
    before = candidate(by=ME, age=dt.timedelta(minutes=5))
    after = candidate("cti-2-1", by=ME, age=dt.timedelta(minutes=1))
    login = NOW - dt.timedelta(minutes=2)
    assert choose([before, after], now=NOW, me=ME, login_since=login, gone=lambda claimer: True) == [before]


def test_a_live_answered_channel_settles_the_attempt_as_answered_and_a_ringing_one_leaves_it_open():
    live = {"cti-1-1": LiveChannel("cti-1-1", "PJSIP/carrier-00000001", True, "1795790383.17"),
            "cti-2-1": LiveChannel("cti-2-1", "PJSIP/carrier-00000002", False, "1795790383.18")}
    assert verdict(candidate("cti-1-1"), live, {}) == ("answered", "1795790383.17")
    assert verdict(candidate("cti-2-1"), live, {}) is None


def test_the_call_log_settles_an_attempt_whose_call_ended_and_leaves_one_in_progress():
    logged = {"cti-1-1": ("answered", True, "c1"), "cti-2-1": ("abandoned", False, "c2"), "cti-3-1": (None, False, "c3")}
    assert verdict(candidate("cti-1-1"), {}, logged) == ("answered", "c1")
    assert verdict(candidate("cti-2-1"), {}, logged) == ("no_answer", "c2")
    assert verdict(candidate("cti-3-1"), {}, logged) is None


def test_an_attempt_nobody_knows_about_becomes_unknown_for_a_person_to_decide():
    assert verdict(candidate("cti-9-1"), {}, {}) == ("unknown", "")


def test_status_items_give_the_live_channels_of_our_attempts_only():
    items = [
        {"Channel": "PJSIP/carrier-00000011", "ChannelState": "6", "Uniqueid": "1.17", "Linkedid": "1.17",
         "Variable": "CTI_ACTION_ID=cti-4-2"},
        {"Channel": "PJSIP/1001-00000012", "ChannelState": "6", "Uniqueid": "1.18", "Linkedid": "1.17",
         "Variable": "CTI_ACTION_ID=(null)"},
        {"Channel": "PJSIP/carrier-00000013", "ChannelState": "5", "Uniqueid": "1.19", "Linkedid": "1.19",
         "Variable": "CTI_ACTION_ID=cti-5-1"},
        {"Channel": "PJSIP/carrier-00000014", "ChannelState": "6", "Uniqueid": "1.20", "Linkedid": "1.20",
         "Variable": "CTI_ACTION_ID="},
    ]
    found = live_channels(items, "CTI_ACTION_ID")
    assert found == {"cti-4-2": LiveChannel("cti-4-2", "PJSIP/carrier-00000011", True, "1.17"),
                     "cti-5-1": LiveChannel("cti-5-1", "PJSIP/carrier-00000013", False, "1.19")}


def test_a_process_is_gone_only_when_it_was_on_this_host_and_no_longer_runs():
    host = socket.gethostname()
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    assert claimer_gone(f"{host}:{finished.stdout.strip()}")
    assert not claimer_gone(f"{host}:{os.getpid()}")  # ourselves
    assert not claimer_gone(f"{host}:{os.getppid()}")  # running
    assert not claimer_gone(f"elsewhere-{host}:{finished.stdout.strip()}")  # another host: cannot tell
    assert not claimer_gone("")


def test_a_reported_attempt_keeps_its_line_while_its_call_is_live_and_frees_it_after():
    reported = candidate("cti-1-1", state="reported")
    live = {"cti-1-1": LiveChannel("cti-1-1", "PJSIP/carrier-00000001", True, "c1")}
    assert verdict(reported, live, {}) is None  # the goodbye still plays: its outcome is known, its line in use
    assert verdict(reported, {}, {}) == ("answered", "")  # gone: the line is freed (the outcome is kept)
