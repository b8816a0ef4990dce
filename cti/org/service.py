"""The organisation tree's units of work and reads: units added, renamed, moved, deleted; people placed;
the scope a person works in. Every change is audited in its transaction; a refusal is a
:class:`~cti.tickets.settings_forms.SettingsError` naming the field (the settings pages translate it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cti.audit import record
from cti.dispatch.models import ServiceOutlet
from cti.form_errors import Problems
from cti.org.models import OrgUnit
from cti.org.tree import Scope, would_cycle
from cti.tickets.settings_forms import SettingsError
from cti.users.models import User

MAX_NAME = 120


def parents(session: Session) -> dict[int, int | None]:
    """Every unit's parent: the tree as :mod:`cti.org.tree` reads it."""
    return dict(session.execute(select(OrgUnit.id, OrgUnit.parent_id)).all())


def units(session: Session) -> list[dict[str, Any]]:
    """The units in tree order (each under its parent, by name), with their depth and what is placed there."""
    rows = session.execute(select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id).order_by(OrgUnit.name)).all()
    people = dict(session.execute(select(User.org_unit_id, func.count()).group_by(User.org_unit_id)).all())
    children: dict[int | None, list[Any]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    out: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in children.get(parent, ()):
            out.append({"id": row.id, "name": row.name, "parent_id": row.parent_id, "depth": depth,
                        "people": people.get(row.id, 0)})
            walk(row.id, depth + 1)

    walk(None, 0)
    return out


def scope_of(session: Session, unit_id: int | None) -> Scope:
    """The scope of someone placed in ``unit_id`` (None: the head office, everything)."""
    return Scope.of(parents(session), unit_id)


def save_unit(session: Session, unit_id: int | None, name: str, parent_id: int | None, *, actor: str) -> int:
    """Add a unit (``unit_id`` None) or rename / move one; its id."""
    problems = Problems(SettingsError)
    name = name.strip()
    if not name:
        problems.add("name", "required")
    elif len(name) > MAX_NAME:
        problems.add("name", "too_long", max=MAX_NAME)
    tree = parents(session)
    if parent_id is not None and parent_id not in tree:
        problems.add("parent_id", "bad_choice")
    if unit_id is not None and unit_id not in tree:
        raise SettingsError("not_found")
    if unit_id is not None and (parent_id == unit_id or would_cycle(tree, unit_id, parent_id)):
        problems.add("parent_id", "unit_cycle")
    taken = session.scalar(select(OrgUnit.id).where(OrgUnit.name == name))
    if name and taken is not None and taken != unit_id:
        problems.add("name", "unit_taken")
    problems.check()
    row = OrgUnit(name=name, parent_id=parent_id) if unit_id is None else session.get(OrgUnit, unit_id)
    assert row is not None
    before = None if unit_id is None else {"name": row.name, "parent_id": row.parent_id}
    row.name, row.parent_id = name, parent_id
    session.add(row)
    session.flush()
    record(session, actor=actor, entity="org_unit", entity_id=row.id, action="create" if unit_id is None else "update",
           before=before, after={"name": name, "parent_id": parent_id})
    return row.id


def delete_unit(session: Session, unit_id: int, *, actor: str) -> None:
    """Delete an empty unit: no unit below it, nobody and no outlet placed in it."""
    row = session.get(OrgUnit, unit_id)
    if row is None:
        raise SettingsError("not_found")
    below = session.scalar(select(func.count()).select_from(OrgUnit).where(OrgUnit.parent_id == unit_id)) or 0
    placed = (session.scalar(select(func.count()).select_from(User).where(User.org_unit_id == unit_id)) or 0) + (
        session.scalar(select(func.count()).select_from(ServiceOutlet).where(ServiceOutlet.org_unit_id == unit_id)) or 0)
    if below or placed:
        raise SettingsError("unit_in_use", "form", units=below, placed=placed)
    record(session, actor=actor, entity="org_unit", entity_id=unit_id, action="delete",
           before={"name": row.name, "parent_id": row.parent_id}, after=None)
    session.delete(row)


def place_user(session: Session, user_id: int, unit_id: int | None, *, actor: str) -> None:
    """Put a person in a unit (None: the head office)."""
    user = session.get(User, user_id)
    if user is None:
        raise SettingsError("not_found")
    if unit_id is not None and session.get(OrgUnit, unit_id) is None:
        raise SettingsError("bad_choice", "org_unit_id")
    before = user.org_unit_id
    user.org_unit_id = unit_id
    record(session, actor=actor, entity="user", entity_id=user.username, action="place",
           before={"org_unit_id": before}, after={"org_unit_id": unit_id})


def phones_placed(session: Session) -> dict[str, int | None]:
    """Each active login's phone and the unit its person sits in (the wallboard's agents' branches)."""
    rows = session.execute(select(User.interface, User.org_unit_id).where(User.active, User.interface.is_not(None)))
    return {interface: unit for interface, unit in rows}
