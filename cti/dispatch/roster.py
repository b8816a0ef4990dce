"""The field-service set-up administrators keep: outlets (服务网点), engineers, and the regions
they cover. Reads for the admin pages, and saves that validate, write and audit in the
caller's transaction (``Database.write``); a refusal raises
:class:`~cti.dispatch.rules.DispatchError` naming the field, and nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.audit import record
from cti.dispatch.models import Engineer, ServiceOutlet, ServiceRegion
from cti.dispatch.regions import Rule, city_key, clean
from cti.dispatch.rules import DispatchError
from cti.users.models import User

_PHONE = re.compile(r"^[0-9+\-() ]{0,40}$")
LIMITS = {"name": 120, "city": 100, "district": 100, "phone": 40}


@dataclass
class OutletForm:
    name: str
    city: str = ""
    district: str = ""
    phone: str = ""
    active: bool = True


@dataclass
class EngineerForm:
    name: str
    phone: str = ""
    user_id: int | None = None
    outlet_id: int | None = None
    active: bool = True


@dataclass
class RegionForm:
    city: str
    district: str = ""
    engineer_id: int | None = None
    outlet_id: int | None = None


def _text(value: str, field: str, *, required: bool = False) -> str:
    value = clean(value)
    if required and not value:
        raise DispatchError("required", field)
    if len(value) > LIMITS[field]:
        raise DispatchError("too_long", field, max=LIMITS[field])
    return value


def _phone(value: str) -> str:
    value = _text(value, "phone")
    if not _PHONE.match(value):
        raise DispatchError("bad_phone", "phone")
    return value


def _columns(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(row, n) for n in names}


def _save(session: Session, model: type, row_id: int | None, values: dict[str, Any], actor: str, entity: str) -> Any:
    """Create (``row_id`` None) or update a row with ``values``; one audit row with before and after."""
    if row_id is None:
        row, before = model(**values), None
        session.add(row)
    else:
        row = session.get(model, row_id)
        if row is None:
            raise DispatchError("not_found")
        before = _columns(row, tuple(values))
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    record(session, actor=actor, entity=entity, entity_id=row.id, action="create" if before is None else "update",  # type: ignore[arg-type]
           before=before, after=_columns(row, tuple(values)))
    return row


# --- outlets --------------------------------------------------------------------------------------


def outlets(session: Session) -> list[ServiceOutlet]:
    return list(session.scalars(select(ServiceOutlet).order_by(ServiceOutlet.city, ServiceOutlet.name)))


def save_outlet(session: Session, outlet_id: int | None, form: OutletForm, *, actor: str) -> ServiceOutlet:
    values = {"name": _text(form.name, "name", required=True), "city": _text(form.city, "city"),
              "district": _text(form.district, "district"), "phone": _phone(form.phone), "active": form.active}
    taken = session.scalar(select(ServiceOutlet.id).where(ServiceOutlet.name == values["name"]))
    if taken is not None and taken != outlet_id:
        raise DispatchError("name_taken", "name")
    return _save(session, ServiceOutlet, outlet_id, values, actor, "service_outlet")


# --- engineers ------------------------------------------------------------------------------------


def engineers(session: Session) -> list[dict[str, Any]]:
    """Every engineer with their outlet's name and login (active first, then by name)."""
    rows = session.execute(
        select(Engineer, ServiceOutlet.name, User.username, User.active)
        .outerjoin(ServiceOutlet, ServiceOutlet.id == Engineer.outlet_id)
        .outerjoin(User, User.id == Engineer.user_id)
        .order_by(Engineer.active.desc(), Engineer.name, Engineer.id)
    )
    return [{"engineer": e, "outlet": outlet or "", "username": username or "", "login_active": bool(active)}
            for e, outlet, username, active in rows]


def engineer_logins(session: Session) -> list[User]:
    """The logins with the engineer role, the ones an engineer may be linked to."""
    return list(session.scalars(select(User).where(User.role == "engineer").order_by(User.username)))


def save_engineer(session: Session, engineer_id: int | None, form: EngineerForm, *, actor: str) -> Engineer:
    values = {"name": _text(form.name, "name", required=True), "phone": _phone(form.phone),
              "user_id": form.user_id, "outlet_id": form.outlet_id, "active": form.active}
    if form.user_id is not None:
        user = session.get(User, form.user_id)
        if user is None or user.role != "engineer":
            raise DispatchError("login_not_engineer", "user_id")
        linked = session.scalar(select(Engineer.id).where(Engineer.user_id == form.user_id))
        if linked is not None and linked != engineer_id:
            raise DispatchError("login_taken", "user_id")
    if form.outlet_id is not None and session.get(ServiceOutlet, form.outlet_id) is None:
        raise DispatchError("unknown_outlet", "outlet_id")
    return _save(session, Engineer, engineer_id, values, actor, "engineer")


# --- regions --------------------------------------------------------------------------------------


def regions(session: Session) -> list[dict[str, Any]]:
    """Every region rule with the names of its engineer and outlet, by city then district."""
    rows = session.execute(
        select(ServiceRegion, Engineer.name, Engineer.active, ServiceOutlet.name, ServiceOutlet.active)
        .outerjoin(Engineer, Engineer.id == ServiceRegion.engineer_id)
        .outerjoin(ServiceOutlet, ServiceOutlet.id == ServiceRegion.outlet_id)
        .order_by(ServiceRegion.city, ServiceRegion.district, ServiceRegion.id)
    )
    return [{"region": r, "engineer": e or "", "engineer_active": bool(ea), "outlet": o or "",
             "outlet_active": bool(oa)} for r, e, ea, o, oa in rows]


def rules(session: Session) -> list[Rule]:
    """The region rules as :func:`cti.dispatch.regions.pick` takes them: a disabled engineer or
    outlet is left out of its rule (a rule naming nobody then matches nothing)."""
    rows = session.execute(
        select(ServiceRegion.id, ServiceRegion.city, ServiceRegion.district, ServiceRegion.engineer_id,
               Engineer.active, ServiceRegion.outlet_id, ServiceOutlet.active)
        .outerjoin(Engineer, Engineer.id == ServiceRegion.engineer_id)
        .outerjoin(ServiceOutlet, ServiceOutlet.id == ServiceRegion.outlet_id)
        .order_by(ServiceRegion.id)
    )
    return [Rule(rid, city, district, engineer_id if e_active else None, outlet_id if o_active else None)
            for rid, city, district, engineer_id, e_active, outlet_id, o_active in rows]


def save_region(session: Session, region_id: int | None, form: RegionForm, *, actor: str) -> ServiceRegion:
    values = {"city": _text(form.city, "city", required=True), "district": _text(form.district, "district"),
              "engineer_id": form.engineer_id, "outlet_id": form.outlet_id}
    if form.engineer_id is None and form.outlet_id is None:
        raise DispatchError("region_nobody", "engineer_id")
    if form.engineer_id is not None and session.get(Engineer, form.engineer_id) is None:
        raise DispatchError("unknown_engineer", "engineer_id")
    if form.outlet_id is not None and session.get(ServiceOutlet, form.outlet_id) is None:
        raise DispatchError("unknown_outlet", "outlet_id")
    for other in session.scalars(select(ServiceRegion).where(ServiceRegion.id != (region_id or 0))):
        if city_key(other.city) == city_key(values["city"]) and clean(other.district) == values["district"]:
            raise DispatchError("region_taken", "district")
    return _save(session, ServiceRegion, region_id, values, actor, "service_region")


def delete_region(session: Session, region_id: int, *, actor: str) -> None:
    row = session.get(ServiceRegion, region_id)
    if row is None:
        raise DispatchError("not_found")
    before = _columns(row, ("city", "district", "engineer_id", "outlet_id"))
    session.delete(row)
    record(session, actor=actor, entity="service_region", entity_id=region_id, action="delete", before=before)  # type: ignore[arg-type]
