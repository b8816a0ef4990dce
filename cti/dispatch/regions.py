"""Who takes on-site work where: the engineer and/or outlet of a ticket's city and district.

Pure: the region rules come in (``service_regions`` rows, with inactive engineers and
outlets already left out), a :class:`Pick` comes out. A rule for the ticket's district
wins over the rule for its whole city (``district`` empty); no rule for the city, no pick.
When the ticket has no district (customers entered by hand often have none), the district
is read from the address: the ticket's city's districts named in the rules are looked for
in it (``北京市朝阳区建国路88号`` → ``朝阳区``).

>>> rules = [Rule(1, "北京市", "", engineer_id=7), Rule(2, "北京市", "朝阳区", engineer_id=3)]
>>> pick(rules, "北京市", "朝阳区").engineer_id, pick(rules, "北京市", "海淀区").engineer_id
(3, 7)
>>> pick(rules, "北京", "", address="北京市朝阳区建国路88号").scope
'district'
>>> pick(rules, "上海市", "浦东新区") is None
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Pick", "Rule", "city_key", "clean", "district_in", "pick"]


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    city: str
    district: str = ""  # empty: the whole city
    engineer_id: int | None = None
    outlet_id: int | None = None

    @property
    def empty(self) -> bool:
        """Names nobody (its engineer and outlet were removed or disabled): it matches nothing."""
        return self.engineer_id is None and self.outlet_id is None


@dataclass(frozen=True, slots=True)
class Pick:
    engineer_id: int | None
    outlet_id: int | None
    rule_id: int
    scope: str  # "district" | "city": which rule matched


def clean(text: str | None) -> str:
    """Whitespace (full-width spaces too) collapsed and trimmed.

    >>> clean("  朝阳区\\u3000")
    '朝阳区'
    """
    return " ".join((text or "").split())


def city_key(city: str | None) -> str:
    """A city as rules compare it: ``北京`` and ``北京市`` are the same city.

    >>> city_key("北京市") == city_key(" 北京 ")
    True
    """
    value = clean(city)
    return value[:-1] if len(value) > 1 and value.endswith("市") else value


def district_in(address: str, districts: Iterable[str]) -> str:
    """The district among ``districts`` that the address names first (the longest when two start
    at the same place), or ``""``.

    >>> district_in("上海市浦东新区世纪大道100号", ["浦东", "浦东新区", "徐汇区"])
    '浦东新区'
    >>> district_in("上海市静安区", ["徐汇区"])
    ''
    """
    address = clean(address)
    found: tuple[int, int, str] | None = None
    for name in {clean(d) for d in districts if clean(d)}:
        at = address.find(name)
        if at >= 0 and (found is None or (at, -len(name)) < (found[0], found[1])):
            found = (at, -len(name), name)
    return found[2] if found else ""


def pick(rules: Iterable[Rule], city: str, district: str = "", *, address: str = "") -> Pick | None:
    """The engineer/outlet for work in ``city``/``district``: the district's rule, else the city's, else None."""
    key = city_key(city)
    if not key:
        return None
    usable = [r for r in rules if city_key(r.city) == key and not r.empty]
    wanted = clean(district) or district_in(address, (r.district for r in usable))
    if wanted:
        for rule in usable:
            if clean(rule.district) == wanted:
                return Pick(rule.engineer_id, rule.outlet_id, rule.id, "district")
    for rule in usable:
        if not clean(rule.district):
            return Pick(rule.engineer_id, rule.outlet_id, rule.id, "city")
    return None
