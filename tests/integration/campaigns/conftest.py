"""Fixtures the campaign tests share: a movable clock, the whole service on the simulator with that clock,
and a simulator of their own (100× real time) with the documented AMI account."""

from __future__ import annotations

import datetime as dt

import pytest

from ami_support import ami_settings, eventually
from cti.app import Service
from pbxsim import SimConfig, Simulator, documented_classes


class Clock:
    """The service's "now", which a test moves."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def service(db, sim):
    """The service on ``db`` against the ``sim`` fixture's PBX, connected, its clock a :class:`Clock`. Its
    dialer does not run by itself (``campaign_dialer=False``): the test says when it looks, with
    ``service.dialer.tick()``, so that what a tick claimed is what the test sees."""
    url = db.url.render_as_string(hide_password=False)
    svc = Service(settings=ami_settings(sim.port, database_url=url, campaign_dialer=False), db=db, clock=Clock())
    svc.wire()
    await svc.start()
    await eventually(lambda: svc.bridge.synced, what="connected")
    yield svc
    await svc.stop()


@pytest.fixture
async def pbx():
    """A simulator for a service running as its own process (``serving.ServeProcess``)."""
    sim = Simulator(SimConfig(port=0, time_scale=0.01, **documented_classes()))
    await sim.start()
    yield sim
    await sim.stop()
