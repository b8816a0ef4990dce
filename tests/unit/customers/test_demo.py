"""cti.customers.demo: seeded, reproducible demo data with the cases a demo needs."""

from __future__ import annotations

import doctest
from collections import Counter
from datetime import date

import pytest

import cti.customers.demo as demo
from cti.customers.demo import REFERENCE_DATE, callers, generate, unknown_numbers
from cti.customers.warranty import add_months as warranty_end
from cti.customers.warranty import warranty


def warranty_state(product, today):
    return warranty(product.purchase_date, product.warranty_months, today=today).status
from cti.phone import normalise

TRACE = {"张三": "+8613800138000", "李四": "+8613912345678", "王五": "+8618612345678", "赵六": "+8613312345678"}


@pytest.fixture(scope="module")
def data() -> demo.DemoData:
    return generate()


def e164s(customer: demo.DemoCustomer) -> list[str | None]:
    return [normalise(phone.raw).e164 for phone in customer.phones]


def test_same_seed_gives_identical_data(data: demo.DemoData) -> None:
    assert generate() == data
    assert generate(seed=7, customers=50) == generate(seed=7, customers=50)


def test_another_seed_gives_other_data(data: demo.DemoData) -> None:
    assert generate(seed=7).customers[10:] != data.customers[10:]


def test_customer_count_is_as_asked(data: demo.DemoData) -> None:
    assert len(data.customers) == 200
    assert len(generate(customers=20).customers) == 20


def test_too_few_customers_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        generate(customers=5)


def test_trace_customers_come_first_with_their_numbers(data: demo.DemoData) -> None:
    first = {c.name: e164s(c) for c in data.customers[:4]}
    assert first == {name: [number] for name, number in TRACE.items()}


def test_every_phone_normalises_to_a_usable_number(data: demo.DemoData) -> None:
    for customer in data.customers:
        for phone in customer.phones:
            assert normalise(phone.raw).usable, (customer.name, phone.raw)
            assert phone.label


def test_a_few_landlines_are_shared_by_two_customers(data: demo.DemoData) -> None:
    owners = Counter(number for c in data.customers for number in set(e164s(c)))
    shared = {number: n for number, n in owners.items() if n > 1}
    assert 2 <= len(shared) <= 3
    assert set(shared.values()) == {2}
    assert all(normalise(number).kind == "fixed_line" for number in shared)


def test_mostly_mobiles_and_some_beijing_shanghai_landlines(data: demo.DemoData) -> None:
    infos = [normalise(p.raw) for c in data.customers for p in c.phones]
    assert sum(i.kind == "mobile" and i.region == "CN" for i in infos) > len(infos) * 0.7
    with_landline = [c for c in data.customers if any(n and n[:5] in ("+8610", "+8621") for n in e164s(c))]
    assert 0.10 <= len(with_landline) / len(data.customers) <= 0.25


def test_foreign_numbers_are_plus_1_44_852(data: demo.DemoData) -> None:
    regions = sorted(normalise(p.raw).region for c in data.customers for p in c.phones if normalise(p.raw).region != "CN")
    assert regions == ["GB", "HK", "US"]


def test_tiers_are_mixed(data: demo.DemoData) -> None:
    tiers = Counter(c.tier for c in data.customers)
    assert set(tiers) == {"standard", "vip", "enterprise"}
    assert tiers["standard"] > tiers["vip"] > 0


def test_customers_have_names_cities_and_addresses(data: demo.DemoData) -> None:
    for customer in data.customers:
        assert customer.name and customer.city and customer.address.startswith(customer.city)
    assert any(c.notes for c in data.customers[4:])


def test_every_customer_has_the_district_its_address_names(data: demo.DemoData) -> None:
    for customer in data.customers:
        assert customer.district in demo.CITIES[customer.city], (customer.name, customer.address)
        assert customer.address.startswith(customer.city + customer.district)
    assert (data.customers[1].city, data.customers[1].district) == ("上海市", "浦东新区")


def test_warranty_states_are_mixed(data: demo.DemoData) -> None:
    states = Counter(warranty_state(p, data.today) for c in data.customers for p in c.products)
    assert states["in_warranty"] > 0 and states["expiring"] > 0 and states["expired"] > 0


def test_products_are_realistic_and_within_four_years(data: demo.DemoData) -> None:
    products = [p for c in data.customers for p in c.products]
    assert {p.warranty_months for p in products} == {12, 24, 36}
    assert len({p.serial for p in products}) == len(products)
    assert any(p.model.startswith("空调 KFR-") for p in products)
    for product in products:
        assert 0 <= (data.today - product.purchase_date).days <= 4 * 366


def test_today_shifts_dates_and_keeps_the_warranty_mix() -> None:
    later = date(2027, 3, 1)
    base, moved = generate(customers=40), generate(customers=40, today=later)
    shift = later - REFERENCE_DATE
    for before, after in zip(base.customers, moved.customers, strict=True):
        assert [p.serial for p in before.products] == [p.serial for p in after.products]
        for p, q in zip(before.products, after.products, strict=True):
            assert abs((q.purchase_date - p.purchase_date) - shift).days <= 3  # month-end clipping
            assert warranty_state(p, base.today) == warranty_state(q, later)


def test_agents_and_supervisor_are_documented_logins(data: demo.DemoData) -> None:
    logins = {(a.username, a.password, a.interface, a.role) for a in data.agents}
    assert logins == {
        ("1001", "demo1001", "PJSIP/1001", "agent"),
        ("1002", "demo1002", "PJSIP/1002", "agent"),
        ("1003", "demo1003", "PJSIP/1003", "agent"),
        ("admin", "demoadmin", None, "admin"),
        ("eng01", "demo-eng01", None, "engineer"),
        ("eng02", "demo-eng02", None, "engineer"),
        ("eng03", "demo-eng03", None, "engineer"),
        ("eng04", "demo-eng04", None, "engineer"),
    }


def test_unknown_numbers_are_valid_mobiles_of_no_customer(data: demo.DemoData) -> None:
    known = {number for c in data.customers for number in e164s(c)}
    numbers = unknown_numbers(2026, 50)
    assert len(set(numbers)) == 50 and numbers == unknown_numbers(2026, 50)
    for number in numbers:
        assert normalise(number).kind == "mobile" and number not in known


def test_callers_are_e164_with_names(data: demo.DemoData) -> None:
    pairs = callers(data)
    assert pairs[0] == ("+8613800138000", "张三")
    assert len(pairs) == sum(len(c.phones) for c in data.customers)
    assert all(number.startswith("+") for number, _ in pairs)


@pytest.mark.parametrize(
    ("purchase", "months", "end"),
    [(date(2024, 1, 31), 1, date(2024, 2, 29)), (date(2023, 6, 15), 24, date(2025, 6, 15)), (date(2024, 3, 31), -1, date(2024, 2, 29))],
)
def test_warranty_end_adds_months_clipping_to_month_end(purchase: date, months: int, end: date) -> None:
    assert warranty_end(purchase, months) == end


def test_warranty_state_boundaries() -> None:
    product = demo.DemoProduct("空调 X", "S", date(2025, 1, 1), 12)
    assert warranty_state(product, date(2025, 12, 1)) == "in_warranty"  # 31 days left
    assert warranty_state(product, date(2025, 12, 2)) == "expiring"  # 30 days left
    assert warranty_state(product, date(2026, 1, 1)) == "expiring"  # last day still covered
    assert warranty_state(product, date(2026, 1, 2)) == "expired"


def test_doctests_run() -> None:
    result = doctest.testmod(demo)
    assert result.attempted > 0 and result.failed == 0
