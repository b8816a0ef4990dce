"""Originate variables over real TCP: what the PBX receives is exactly what the service was given.

The PBX is the simulator; ``sim.actions`` is every action it read off the socket.
"""

from __future__ import annotations

import asyncio

import pytest

from ami_support import make_bridge, no_leaks, published, sim  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("no_leaks")

CALLBACK = {"channel": "PJSIP/+8613800138000@carrier", "context": "callback", "exten": "s"}


async def test_a_refused_originate_never_reaches_the_pbx_and_a_clean_one_arrives_as_given(sim, make_bridge):
    gateway = (await make_bridge(ami_ping_interval=30)).gateway
    for hostile in ("Zhang San,EVIL=1", 'Li "Si"', "C:\\x", "Wang (VIP"):
        with pytest.raises(ValueError, match="variable 'CB_NAME' contains"):
            await gateway.originate(**CALLBACK, variables={"CB_NUMBER": "+8613800138000", "CB_NAME": hostile},
                                    action_id="cb-1-1")
    await asyncio.sleep(0.05)
    assert sim.actions_named("Originate") == []

    variables = {"CB_NUMBER": "+8613800138000", "CB_NAME": "陈小红 <VIP> O'Brien", "NOTE": "a=b; 10:30?"}
    await gateway.originate(**CALLBACK, variables=variables, action_id="cb-1-2")

    (originate,) = sim.actions_named("Originate")
    received = [value for key, value in originate["fields"] if key == "Variable"]
    assert received == ["CTI_ACTION_ID=cb-1-2", "CB_NUMBER=+8613800138000", "CB_NAME=陈小红 <VIP> O'Brien",
                        "NOTE=a=b; 10:30?"]
