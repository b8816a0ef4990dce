"""Who takes on-site work where: a district's rule beats its city's, no rule means no suggestion."""

from __future__ import annotations

import pytest

from cti.dispatch.regions import Pick, Rule, city_key, district_in, pick

RULES = [
    Rule(1, "北京市", "", engineer_id=20),  # the whole of Beijing: 王磊
    Rule(2, "北京市", "朝阳区", engineer_id=10, outlet_id=1),  # 朝阳: 张伟 of the 朝阳 outlet
    Rule(3, "北京市", "通州区", outlet_id=2),  # 通州: a partner outlet, no engineer of ours
    Rule(4, "上海市", "浦东新区", engineer_id=30),  # Shanghai has no whole-city rule
]


def test_the_district_rule_beats_the_city_rule():
    assert pick(RULES, "北京市", "朝阳区") == Pick(10, 1, 2, "district")


def test_a_district_without_its_own_rule_falls_back_to_the_whole_city():
    assert pick(RULES, "北京市", "海淀区") == Pick(20, None, 1, "city")
    assert pick(RULES, "北京市", "") == Pick(20, None, 1, "city")


def test_an_outlet_only_rule_suggests_the_outlet():
    assert pick(RULES, "北京市", "通州区") == Pick(None, 2, 3, "district")


def test_no_rule_for_the_place_is_no_suggestion():
    assert pick(RULES, "上海市", "徐汇区") is None  # no district rule and no whole-city rule
    assert pick(RULES, "广州市", "天河区") is None
    assert pick(RULES, "", "朝阳区") is None
    assert pick([], "北京市", "朝阳区") is None


def test_the_rule_order_does_not_matter():
    assert pick(list(reversed(RULES)), "北京市", "朝阳区").rule_id == 2
    assert pick(list(reversed(RULES)), "北京市", "丰台区").rule_id == 1


def test_a_rule_naming_nobody_is_skipped():
    """Its engineer and outlet were disabled: the city's rule takes the work."""
    rules = [Rule(1, "北京市", "", engineer_id=20), Rule(2, "北京市", "朝阳区")]
    assert pick(rules, "北京市", "朝阳区") == Pick(20, None, 1, "city")


def test_city_names_with_or_without_shi_and_spaces_match():
    assert pick(RULES, " 北京 ", "朝阳区").rule_id == 2
    assert pick(RULES, "北京市", "\u3000朝阳区 ").rule_id == 2
    assert city_key("北京市") == city_key("北京") == "北京"
    assert city_key("市") == "市"


def test_the_district_is_read_from_the_address_when_the_ticket_has_none():
    assert pick(RULES, "北京市", "", address="北京市朝阳区建国路88号 9号楼2单元1502室").rule_id == 2
    assert pick(RULES, "北京市", "", address="北京市海淀区学院路35号").rule_id == 1  # no rule for 海淀: the city
    assert pick(RULES, "上海市", "", address="上海市浦东新区世纪大道100号").rule_id == 4


def test_a_given_district_is_not_overridden_by_the_address():
    assert pick(RULES, "北京市", "海淀区", address="北京市朝阳区建国路88号").rule_id == 1


@pytest.mark.parametrize(
    ("address", "districts", "found"),
    [
        ("北京市朝阳区建国路88号", ["朝阳区", "通州区"], "朝阳区"),
        ("上海市浦东新区世纪大道", ["浦东", "浦东新区"], "浦东新区"),  # the longer name at the same place
        ("北京市东城区朝阳门内大街", ["朝阳门", "东城区"], "东城区"),  # the first one named
        ("北京市海淀区", ["朝阳区"], ""),
        ("", ["朝阳区"], ""),
        ("北京市朝阳区", ["", "  "], ""),
    ],
)
def test_district_in_an_address(address, districts, found):
    assert district_in(address, districts) == found
