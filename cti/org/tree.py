"""The tree and a person's scope, pure.

A unit's **scope** is the unit and every unit below it. A person placed nowhere (``None``) is at the head
office: their scope is everything, placed or not. A person in a branch sees what is placed in their
branch or below, and nothing placed nowhere (the head office's).

>>> units = {1: None, 2: 1, 3: 1, 4: 2}  # id -> parent: 1 east region, 2 Shanghai under it, 4 an outlet of 2
>>> sorted(subtree(units, 2))
[2, 4]
>>> s = Scope.of(units, 2)
>>> s.covers(4), s.covers(3), s.covers(None), Scope.of(units, None).covers(None)
(True, False, False, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


def subtree(parents: Mapping[int, int | None], root: int) -> set[int]:
    """``root`` and every unit below it (``parents``: unit id -> its parent's id)."""
    children: dict[int | None, list[int]] = {}
    for unit, parent in parents.items():
        children.setdefault(parent, []).append(unit)
    found, todo = set(), [root]
    while todo:
        unit = todo.pop()
        if unit in found:
            continue  # a cycle would be refused when saved; never loop on one
        found.add(unit)
        todo.extend(children.get(unit, ()))
    return found


def would_cycle(parents: Mapping[int, int | None], unit: int, new_parent: int | None) -> bool:
    """Moving ``unit`` under ``new_parent`` would put it below itself."""
    return new_parent is not None and new_parent in subtree(parents, unit)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a person may see and act on: ``units`` None = everything (the head office)."""

    units: frozenset[int] | None

    @classmethod
    def of(cls, parents: Mapping[int, int | None], unit: int | None) -> Scope:
        return cls(None if unit is None else frozenset(subtree(parents, unit)))

    def covers(self, unit: int | None) -> bool:
        """Whether something placed in ``unit`` (None: the head office) is within this scope."""
        return self.units is None or (unit is not None and unit in self.units)


EVERYTHING = Scope(None)
