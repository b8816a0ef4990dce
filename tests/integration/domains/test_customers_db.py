"""Customers in a real database: lookup by number in any written form, shared numbers, search, audit."""

import datetime as dt

import pytest
from sqlalchemy import select

from cti.audit import AuditEntry
from cti.customers import service as customers
from cti.phone import normalise

from .helpers import add_customer


async def test_lookup_finds_a_customer_whatever_form_the_pbx_sends(db):
    zhang = await add_customer(db, "张三", "138 0013 8000")
    async with db.session() as s:
        for raw in ("+8613800138000", "008613800138000", "8613800138000", "013800138000", "13800138000"):
            found = await customers.find_by_phone(s, normalise(raw).e164)
            assert [c.id for c in found] == [zhang.id], raw


async def test_customers_sharing_a_number_are_all_returned(db):
    a = await add_customer(db, "北京华联总机 王经理", "010 8888 8888")
    b = await add_customer(db, "北京华联 李会计", "+86 10 8888 8888", "13912345678")
    async with db.session() as s:
        found = await customers.find_by_phone(s, "+861088888888")
    assert {c.id for c in found} == {a.id, b.id}


@pytest.mark.parametrize("query", ["张三", "张", "+86 138 0013 8000", "013800138000", "0013 8000", "13800138000"])
async def test_search_by_name_or_any_written_number(db, query):
    zhang = await add_customer(db, "张三", "13800138000")
    await add_customer(db, "李四", "13912345678")
    async with db.session() as s:
        found = await customers.search(s, query)
    assert [c.id for c in found] == [zhang.id]


async def test_search_treats_like_wildcards_as_text(db):
    await add_customer(db, "张三", "13800138000")
    async with db.session() as s:
        assert await customers.search(s, "%") == []
        assert await customers.search(s, "_") == []


async def test_card_shows_products_with_warranty_status(db):
    c = await add_customer(
        db, "王五", "18612345678",
        products=[("空调 KFR-35GW", "KT001", dt.date(2026, 1, 15), 12), ("冰箱 BCD-470", "BX9", dt.date(2022, 1, 5), 24),
                  ("洗衣机 XQG100", "XY7", dt.date(2024, 12, 20), 24)],
    )
    async with db.session() as s:
        card = customers.card(await customers.get(s, c.id), today=dt.date(2026, 11, 27))
    status = {p["serial"]: p["warranty_status"] for p in card["products"]}
    assert status == {"KT001": "in_warranty", "BX9": "expired", "XY7": "expiring"}
    assert card["phones"][0]["e164"] == "+8618612345678"


async def test_creating_a_customer_writes_an_audit_row(db):
    c = await add_customer(db, "赵六", "13312345678")
    async with db.session() as s:
        rows = list(await s.scalars(select(AuditEntry).where(AuditEntry.entity == "customer")))
    assert [(r.entity_id, r.action, r.actor) for r in rows] == [(str(c.id), "create", "test")]
    assert rows[0].after["phones"] == ["+8613312345678"]


@pytest.mark.parametrize(
    ("name", "phones", "field"),
    [("", ["13800138000"], "name"), ("张三", [], "phones"), ("张三", ["123"], "phones")],
)
async def test_invalid_customer_is_refused_with_the_field_named(db, name, phones, field):
    async with db.session() as s:
        with pytest.raises(customers.CustomerError) as err:
            await customers.create(
                s, customers.NewCustomer(name=name, phones=[normalise(p) for p in phones]), actor="t"
            )
        assert err.value.field == field
        assert await customers.count(s) == 0


async def test_a_partial_number_with_leading_zeros_does_not_match_everyone(db):
    zhang = await add_customer(db, "张三", "13800138000")
    await add_customer(db, "李四", "13912345678")
    await add_customer(db, "北京总机", "010 8888 8888")
    async with db.session() as s:
        assert [c.id for c in await customers.search(s, "0013")] == [zhang.id]
        assert [c.name for c in await customers.search(s, "010 8888")] == ["北京总机"]
