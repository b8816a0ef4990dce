"""The new-ticket form's checks and the tickets domain's refusals as sentences (pure functions)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cti.http.ticket_forms import error_message, read_form
from cti.tickets.service import TicketError

ROOT = Path(__file__).resolve().parents[3]
FORM = {"customer": "7", "call": "1764554400.17", "product": "11", "type": "repair", "mode": "carry_in",
        "priority": "urgent", "description": "  空调不制冷  "}


def catalog(lang: str) -> dict[str, str]:
    return json.loads((ROOT / "web" / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_refusal_of_the_tickets_domain_has_a_message(lang):
    raised = set(re.findall(r'TicketError\("([a-z_]+)"', (ROOT / "cti" / "tickets" / "service.py").read_text()))
    raised |= set(re.findall(r'TicketError\("([a-z_]+)"', (ROOT / "cti" / "http" / "ticket_forms.py").read_text()))
    raised |= {"choose_product", "bad_call"}  # the form's own
    assert raised, "no refusal found: has the service changed how it raises?"
    missing = sorted(code for code in raised if f"ticket.error.{code}" not in catalog(lang))
    assert missing == []


def test_a_refused_change_names_the_states_and_the_action_in_the_users_words():
    refused = TicketError("refused.not_allowed", state="pending", target="closed")
    assert error_message("zh", refused) == "工单不能从“待处理”转为“已关闭”。"
    assert error_message("en", refused) == "A ticket cannot go from Pending to Closed."
    note = TicketError("refused.needs_note", state="processing", target="resolved")
    assert error_message("zh", note, "resolve") == "“解决”需要填写备注。"
    assert error_message("zh", TicketError("too_long", limit=2000)) == "内容过长（最多 2000 个字）。"


def test_a_good_form_becomes_a_new_ticket():
    parsed = read_form(FORM, "zh", "agent", {11, 12})
    assert parsed.errors == {}
    new = parsed.new
    assert (new.customer_id, new.product_id, new.service_type, new.service_mode, new.priority, new.call_id) == (
        7, 11, "repair", "carry_in", "urgent", "1764554400.17")
    assert read_form(dict(FORM, type="complaint"), "zh", "agent", {11}).new.service_mode is None
    assert read_form(dict(FORM, product="none"), "zh", "agent", {11}).new.product_id is None


def test_every_field_wrong_at_once_is_said_at_once_and_nothing_is_made():
    bad = dict(FORM, call="1764'; drop", product="", mode="", priority="asap", description="长" * 4001,
               claim_unit="on")
    parsed = read_form(bad, "zh", "agent", {11, 12})
    assert parsed.new is None
    assert parsed.errors == {
        "call": "来电编号无效。",
        "product": "请选择产品，或选择“不涉及具体产品”。",
        "mode": "报修需选择服务方式：送修或上门。",
        "priority": "请从列表中选择优先级。",
        "description": "内容过长（最多 4000 个字）。",
        "claim_unit": "只有主管可以标记理赔机。",
    }
    assert parsed.values["description"] == "长" * 4001  # kept to show again


def test_a_product_of_someone_else_or_an_unknown_customer_is_refused():
    assert read_form(dict(FORM, product="99"), "en", "agent", {11}).errors == {
        "product": "This product is not one of the customer's."}
    unknown = read_form(dict(FORM, customer="x"), "en", "supervisor", None)
    assert unknown.new is None and set(unknown.errors) == {"customer", "product"}
    assert read_form(dict(FORM, product=""), "en", "agent", set()).errors == {}  # no products: nothing to choose
    assert read_form(dict(FORM, claim_unit="1"), "en", "manager", {11}).new.claim_unit is True
