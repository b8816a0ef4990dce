"""Customers' public functions: lookup by number, search, create, the card shown in a pop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, selectinload

from cti.audit import record
from cti.customers.models import Customer, CustomerPhone, Product
from cti.customers.warranty import warranty
from cti.phone import PhoneInfo, digit_fragments, normalise, search_keys

TIERS = ("standard", "vip", "enterprise")
_LOAD = (selectinload(Customer.phones), selectinload(Customer.products))
_CUSTOMERS, _PHONES, _PRODUCTS = Customer.__table__, CustomerPhone.__table__, Product.__table__


class CustomerError(ValueError):
    """Invalid customer data; ``field`` names the form field, ``code`` is translatable."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field, self.code = field, code


@dataclass
class NewProduct:
    model: str
    serial: str
    purchase_date: dt.date
    warranty_months: int


@dataclass
class NewCustomer:
    name: str
    phones: list[PhoneInfo]
    tier: str = "standard"
    notes: str = ""
    city: str = ""
    address: str = ""
    products: list[NewProduct] = field(default_factory=list)
    district: str = ""  # for dispatch by region (the demo's; the form and the import leave it empty)


async def find_by_phone(session: AsyncSession, e164: str) -> list[Customer]:
    """Every customer with this number (several may share one), oldest first. One indexed query."""
    stmt = (
        select(Customer)
        .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
        .where(CustomerPhone.e164 == e164)
        .options(*_LOAD)
        .order_by(Customer.id)
    )
    return list((await session.scalars(stmt)).unique())


def ids_by_phones(session: Session, e164s: Sequence[str]) -> dict[str, list[int]]:
    """The customer ids of each number (oldest first; numbers nobody has are left out): one indexed query.
    Synchronous, for the call log's ``Database.write``."""
    stmt = (select(CustomerPhone.e164, CustomerPhone.customer_id).where(CustomerPhone.e164.in_(list(e164s)))
            .distinct().order_by(CustomerPhone.e164, CustomerPhone.customer_id))
    out: dict[str, list[int]] = {}
    for e164, customer_id in session.execute(stmt):
        out.setdefault(e164, []).append(customer_id)
    return out


async def get(session: AsyncSession, customer_id: int) -> Customer | None:
    stmt = select(Customer).where(Customer.id == customer_id).options(*_LOAD)
    return (await session.scalars(stmt)).first()


async def search(session: AsyncSession, text: str, *, region: str = "CN", limit: int = 50) -> list[Customer]:
    """By name (substring) or by any number in any written form (whole or partial digits)."""
    text = " ".join(text.split())
    if not text:
        return []
    conditions = [Customer.name.contains(text, autoescape=True)]
    keys = search_keys(text, region=region)
    if keys:
        conditions.append(CustomerPhone.e164.in_(keys))
    for fragment in digit_fragments(text):
        conditions.append(CustomerPhone.e164.contains(fragment, autoescape=True))
    ids = (
        select(Customer.id)
        .outerjoin(CustomerPhone, CustomerPhone.customer_id == Customer.id)
        .where(or_(*conditions))
        .distinct()
        .limit(limit)
    )
    stmt = select(Customer).where(Customer.id.in_(ids)).options(*_LOAD).order_by(Customer.name, Customer.id)
    return list((await session.scalars(stmt)).unique())


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Customer.id))) or 0)


def validate(new: NewCustomer) -> NewCustomer:
    """Clean and check a new customer; raise CustomerError naming the field."""
    name = " ".join(new.name.split())
    if not name:
        raise CustomerError("name", "required", "name is required")
    if len(name) > 200:
        raise CustomerError("name", "too_long", "name is longer than 200 characters")
    if not new.phones:
        raise CustomerError("phones", "required", "at least one phone number is required")
    for info in new.phones:
        if not info.e164 or info.kind == "short":
            raise CustomerError("phones", "invalid_phone", f"not a customer's phone number: {info.raw}")
    if new.tier not in TIERS:
        raise CustomerError("tier", "invalid_tier", f"tier must be one of {', '.join(TIERS)}")
    new.name = name
    return new


def add(session: AsyncSession, new: NewCustomer) -> Customer:
    """Stage a validated customer in the session (no commit, no audit: see create)."""
    seen: set[str] = set()
    phones = []
    for info in new.phones:
        if info.e164 and info.e164 not in seen:
            seen.add(info.e164)
            phones.append(CustomerPhone(e164=info.e164, raw=info.raw[:64], kind=info.kind))
    customer = Customer(
        name=new.name,
        tier=new.tier,
        notes=new.notes,
        city=new.city,
        district=new.district,
        address=new.address,
        phones=phones,
        products=[
            Product(model=p.model, serial=p.serial, purchase_date=p.purchase_date, warranty_months=p.warranty_months)
            for p in new.products
        ],
    )
    session.add(customer)
    return customer


async def create(session: AsyncSession, new: NewCustomer, *, actor: str) -> Customer:
    """Validate, store and audit a new customer; commits."""
    customer = add(session, validate(new))
    await session.flush()
    record(session, actor=actor, entity="customer", entity_id=customer.id, action="create", after=summary(customer))
    await session.commit()
    return customer


def add_audited(session: Session, new: NewCustomer, *, actor: str, action: str) -> Customer:
    """Validate, stage and audit a new customer in the caller's transaction (synchronous ``Session``, no
    commit): another domain's unit of work that adds a customer (the tickets' import)."""
    customer = add(session, validate(new))  # type: ignore[arg-type]
    session.flush()
    record(session, actor=actor, entity="customer", entity_id=customer.id, action=action,  # type: ignore[arg-type]
           after=summary(customer))
    return customer


def match_product(session: Session, customer_id: int, *, serial: str, model: str) -> Product | None:
    """A customer's product by serial; without a serial, the newest of that model (an import's question)."""
    stmt = select(Product).where(Product.customer_id == customer_id)
    if serial:
        stmt = stmt.where(Product.serial == serial)
    elif model:
        stmt = stmt.where(Product.model == model)
    else:
        return None
    return session.scalars(stmt.order_by(Product.purchase_date.desc(), Product.id.desc()).limit(1)).first()


def add_product(session: Session, customer_id: int, new: NewProduct, *, actor: str) -> Product:
    """Add a product to a customer, audited, in the caller's transaction (synchronous ``Session``)."""
    product = Product(customer_id=customer_id, model=new.model, serial=new.serial, purchase_date=new.purchase_date,
                      warranty_months=new.warranty_months)
    session.add(product)
    session.flush()
    record(session, actor=actor, entity="customer", entity_id=customer_id, action="add_product",  # type: ignore[arg-type]
           after={"product_id": product.id, "model": new.model, "serial": new.serial})
    return product


def summary(customer: Customer) -> dict[str, Any]:
    """What an audit row keeps of a customer."""
    return {
        "name": customer.name,
        "tier": customer.tier,
        "phones": [p.e164 for p in customer.phones],
        "products": [p.serial or p.model for p in customer.products],
    }


def card(customer: Customer, *, today: dt.date) -> dict[str, Any]:
    """The customer as a pop / page shows it: JSON-ready, plain values (the browser escapes them)."""
    return _card(customer, customer.phones, customer.products, today)


def cards_by_phones(session: Session, numbers: Iterable[str], *, today: dt.date) -> dict[str, list[dict[str, Any]]]:
    """For each E.164 number that belongs to customers, their ``card()``s, oldest customer first.

    One Core query however many numbers (no ORM objects): the customers with all their phones and
    their products (a row per phone and product; a pop's customer has a few of each). Numbers nobody
    has are left out. A customer with two of the numbers appears under both, as two separate dicts.
    Synchronous, for ``Database.read`` (the screen pop's lookup).
    """
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    having = select(_PHONES.c.customer_id).where(_PHONES.c.e164.in_(wanted))
    stmt = (
        select(_CUSTOMERS.c.id, _CUSTOMERS.c.name, _CUSTOMERS.c.tier, _CUSTOMERS.c.notes, _CUSTOMERS.c.city,
               _CUSTOMERS.c.address, _PHONES.c.id.label("phone_id"), _PHONES.c.e164, _PHONES.c.label,
               _PRODUCTS.c.id.label("product_id"), _PRODUCTS.c.model, _PRODUCTS.c.serial, _PRODUCTS.c.purchase_date,
               _PRODUCTS.c.warranty_months)
        .join_from(_CUSTOMERS, _PHONES, _PHONES.c.customer_id == _CUSTOMERS.c.id)
        .outerjoin(_PRODUCTS, _PRODUCTS.c.customer_id == _CUSTOMERS.c.id)
        .where(_CUSTOMERS.c.id.in_(having))
        .order_by(_CUSTOMERS.c.id, _PHONES.c.id, _PRODUCTS.c.purchase_date.desc(), _PRODUCTS.c.id)
    )
    found: dict[int, Any] = {}
    phones: dict[int, dict[int, Any]] = {}
    products: dict[int, dict[int, Any]] = {}
    for row in session.execute(stmt):
        found.setdefault(row.id, row)
        phones.setdefault(row.id, {}).setdefault(row.phone_id, row)
        items = products.setdefault(row.id, {})
        if row.product_id is not None:
            items.setdefault(row.product_id, _Product(row.product_id, row.model, row.serial, row.purchase_date,
                                                      row.warranty_months))
    wanted_set = set(wanted)
    out: dict[str, list[dict[str, Any]]] = {}
    for cid, c in found.items():  # ids ascending: oldest customer first under each number
        numbers_of = list(phones[cid].values())
        for number in dict.fromkeys(p.e164 for p in numbers_of if p.e164 in wanted_set):
            out.setdefault(number, []).append(_card(c, numbers_of, list(products[cid].values()), today))
    return out


class _Product(NamedTuple):
    id: int
    model: str
    serial: str
    purchase_date: dt.date
    warranty_months: int


def _card(c: Any, phones: Any, products: Any, today: dt.date) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "tier": c.tier,
        "notes": c.notes,
        "city": c.city,
        "address": c.address,
        "phones": [{"e164": p.e164, "display": _display(p.e164), "label": p.label} for p in phones],
        "products": [_product(p, today) for p in products],
    }


def _product(p: Product, today: dt.date) -> dict[str, Any]:
    w = warranty(p.purchase_date, p.warranty_months, today=today)
    return {
        "id": p.id,  # a ticket opened from the pop names the product
        "model": p.model,
        "serial": p.serial,
        "purchase_date": p.purchase_date.isoformat(),
        "warranty_months": p.warranty_months,
        "warranty_ends": w.ends.isoformat(),
        "warranty_status": w.status,
        "warranty_days_left": w.days_left,
    }


@lru_cache(maxsize=4096)
def _display(e164: str) -> str:
    info = normalise(e164)
    return info.national if info.region == "CN" else info.international
