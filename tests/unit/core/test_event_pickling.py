"""Every domain event crosses the worker processes' pipes as a pickle: it must come back equal, of the
same class, with every field, and refuse no value the tracker or the desk puts in it."""

from __future__ import annotations

import copyreg
import dataclasses
import pickle

import pytest

from cti import events

CLASSES = [c for c in vars(events).values() if isinstance(c, type) and dataclasses.is_dataclass(c)]


def sample(cls: type) -> object:
    """An instance with a distinct value in each field (a leg inside CallEnded, 张三 in the texts)."""
    values = {}
    for n, f in enumerate(dataclasses.fields(cls)):
        kind = str(f.type)
        if "tuple" in kind:
            values[f.name] = (events.AgentLeg("PJSIP/1001", "张三", 1.0, events.RingOutcome.ANSWERED, 3.0),) \
                if f.name == "agents" else ("a", "b")
        elif "float" in kind:
            values[f.name] = 1.5 + n
        elif "int" in kind or "bool" in kind:
            values[f.name] = n if "int" in kind else True
        else:
            values[f.name] = f"张三 {f.name} <b>{n}</b>"
    return cls(**values)


def test_every_event_class_is_pickled_as_its_values():
    assert len(CLASSES) >= 19
    for cls in CLASSES:
        assert cls in copyreg.dispatch_table, f"{cls.__name__} would be pickled the slow way"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_an_event_comes_back_equal_through_a_pickle(cls):
    event = sample(cls)
    back = pickle.loads(pickle.dumps(event, protocol=pickle.HIGHEST_PROTOCOL))
    assert type(back) is cls and back == event
    if cls is events.CallEnded:
        assert type(back.agents[0]) is events.AgentLeg and back.agents[0].outcome is events.RingOutcome.ANSWERED
    assert [getattr(back, f.name) for f in dataclasses.fields(cls)] == [getattr(event, f.name)
                                                                       for f in dataclasses.fields(cls)]
