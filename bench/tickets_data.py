"""A big tickets database for bench/tickets.py: customers, products, tickets (with their search terms,
SLA clocks and linked calls) and a call log, generated seeded and written in bulk.

SQLite is written with the standard library's sqlite3 (executemany), PostgreSQL with asyncpg's COPY;
both after the real migrations, so the indexes are the service's own. Rows are generated in chunks so
memory stays flat whatever the size.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from cti.tickets.search import terms

CHUNK = 20_000
CITIES = {"北京市": ["朝阳区", "海淀区", "东城区", "丰台区"], "上海市": ["浦东新区", "徐汇区", "静安区", "闵行区"],
          "广州市": ["天河区", "越秀区", "海珠区"], "深圳市": ["南山区", "福田区", "宝安区"], "成都市": ["武侯区", "锦江区"]}
MODELS = [f"{p}-{n}" for p in ("KFR", "XQB", "BCD", "JSQ", "LED", "DW") for n in (26, 35, 50, 72, 80, 120, 216)]
FAULTS = ["不制冷", "漏水", "异响", "不开机", "显示E21", "显示F3", "结霜", "噪音大", "遥控失灵", "漏电跳闸", "门封条脱落",
          "脱水不转", "点不着火", "水温不稳定", "黑屏有声音", "花屏", "制热慢", "外机不转", "排水慢", "有异味"]
EXTRAS = ["客户要求尽快上门", "已过保修期", "第二次报修", "需要带配件", "老人在家，请提前电话联系", "安装在高层外墙",
          "上午不方便", "周末上门", "配件需从总部调货", "客户情绪激动"]
TYPES = [("repair", "carry_in", 0.35), ("repair", "on_site", 0.30), ("installation", None, 0.12), ("delivery", None, 0.05),
         ("complaint", None, 0.08), ("enquiry", None, 0.08), ("praise", None, 0.02)]
OPEN_STATES = {"carry_in": ["awaiting_repair", "in_repair", "awaiting_parts", "hard_repair", "ready_for_pickup"],
               "on_site": ["to_dispatch", "dispatched", "on_site", "awaiting_parts", "completed"],
               "complaint": ["pending", "processing", "resolved", "reopened"], "note_only": ["open"]}
CLOSED_STATE = {"carry_in": "picked_up", "on_site": "closed", "complaint": "closed", "note_only": "closed"}
WORKFLOW = {("repair", "carry_in"): "carry_in", ("repair", "on_site"): "on_site", ("installation", None): "on_site",
            ("delivery", None): "on_site", ("complaint", None): "complaint", ("enquiry", None): "note_only",
            ("praise", None): "note_only"}


@dataclass(frozen=True)
class Size:
    tickets: int
    calls: int
    open_share: float = 0.10

    @property
    def customers(self) -> int:
        return max(1000, self.tickets // 5)


def phone(i: int) -> str:
    return f"+86138{i:08d}"


def _ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


class Generator:
    """Seeded rows, as tuples in the tables' column order (``COLUMNS``)."""

    COLUMNS = {
        "customers": ("id", "name", "tier", "notes", "city", "district", "address", "created_at", "updated_at"),
        "customer_phones": ("id", "customer_id", "e164", "raw", "kind", "label"),
        "products": ("id", "customer_id", "model", "serial", "purchase_date", "warranty_months"),
        "tickets": ("id", "number", "customer_id", "product_id", "product_model", "product_serial", "service_type",
                    "service_mode", "workflow", "state", "is_open", "priority", "description", "warranty",
                    "warranty_ends", "claim_unit", "escalation_level", "sla_status", "city", "district", "address",
                    "assignee_id", "engineer_id", "outlet_id", "appointment_start", "appointment_end", "stop_reason",
                    "opened_by", "opened_at", "updated_at", "resolved_at", "closed_at", "reopened", "external_ref",
                    "due_at"),
        "ticket_search": ("ticket_id", "terms"),
        "sla_clocks": ("id", "ticket_id", "kind", "calendar", "budget_seconds", "used_seconds", "running_since",
                       "paused_at", "stopped_at", "due_at", "at_risk_at", "at_risk_fired_at", "breach_fired_at"),
        "calls": ("id", "call_id", "direction", "caller_raw", "caller_name", "caller_e164", "dnis", "queue",
                  "customer_id", "offered_at", "answered_at", "ended_at", "wait_seconds", "talk_seconds", "disposition",
                  "answered_by", "last_agent", "hangup_cause", "action_id", "ticket_id", "campaign_attempt_id"),
        "ticket_calls": ("id", "ticket_id", "call_id", "direction", "at", "linked_by", "counts_as_repeat"),
    }

    def __init__(self, size: Size, now: dt.datetime, seed: int = 2026, *, text_times=True) -> None:
        self.size, self.now, self.seed = size, now, seed
        self.text_times = text_times  # SQLite stores naive UTC text; PostgreSQL takes datetimes
        self.names = [s + g for s in "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗" for g in ("伟", "芳", "娜", "敏", "静", "强", "磊", "洋")]

    def _t(self, t: dt.datetime):
        return _ts(t) if self.text_times else t

    def customers(self) -> Iterator[list[tuple]]:
        rnd = random.Random(self.seed)
        cities = list(CITIES)
        rows, phones, products = [], [], []
        for i in range(1, self.size.customers + 1):
            city = rnd.choice(cities)
            district = rnd.choice(CITIES[city])
            created = self._t(self.now - dt.timedelta(days=rnd.randint(30, 1500)))
            rows.append((i, rnd.choice(self.names), "standard", "", city, district, f"{city}{district}某路{i % 999}号",
                         created, created))
            phones.append((i, i, phone(i), phone(i), "mobile", ""))
            bought = (self.now - dt.timedelta(days=rnd.randint(10, 1400))).date()
            products.append((i, i, rnd.choice(MODELS), f"SN{i:09d}", bought.isoformat() if self.text_times else bought,
                             rnd.choice((12, 24, 36))))
            if len(rows) == CHUNK:
                yield [("customers", rows), ("customer_phones", phones), ("products", products)]
                rows, phones, products = [], [], []
        if rows:
            yield [("customers", rows), ("customer_phones", phones), ("products", products)]

    def tickets(self) -> Iterator[list[tuple]]:
        rnd = random.Random(self.seed + 1)
        weights = [w for _, _, w in TYPES]
        span = 730 * 24 * 3600
        rows, search, clocks, links = [], [], [], []
        clock_id = link_id = 0
        for i in range(1, self.size.tickets + 1):
            service_type, mode, _ = rnd.choices(TYPES, weights)[0]
            flow = WORKFLOW[(service_type, mode)]
            opened = self.now - dt.timedelta(seconds=span * (1 - i / self.size.tickets) + rnd.randint(0, 600))
            is_open = rnd.random() < self.size.open_share * (3 if opened > self.now - dt.timedelta(days=30) else 0.5)
            state = rnd.choice(OPEN_STATES[flow]) if is_open else CLOSED_STATE[flow]
            customer = rnd.randint(1, self.size.customers)
            model = MODELS[(customer * 7) % len(MODELS)]
            desc = f"{model} {rnd.choice(FAULTS)}，{rnd.choice(FAULTS)}。{rnd.choice(EXTRAS)}"
            city = list(CITIES)[customer % len(CITIES)]
            number = f"T{opened:%Y%m%d}-{i:07d}"
            sla = rnd.choices(("ok", "at_risk", "breached"), (0.8, 0.1, 0.1))[0] if is_open else "ok"
            dues = []
            if is_open and flow != "note_only":
                for kind, hours in (("first_contact", 24), ("resolution", 72)):
                    clock_id += 1
                    due = self.now + dt.timedelta(hours=rnd.uniform(-48, 96))
                    dues.append(due)
                    clocks.append((clock_id, i, kind, "business", hours * 3600.0, 0.0, self._t(opened), None, None,
                                   self._t(due), self._t(due - dt.timedelta(hours=hours * 0.2)), None, None))
            rows.append((i, number, customer, customer, model, f"SN{customer:09d}", service_type, mode, flow, state,
                         is_open, rnd.choice(("normal", "normal", "high", "urgent", "low")), desc,
                         rnd.choice(("in", "out")), None, False, 0, sla, city, "", "", None, None, None, None, None, "",
                         "agent", self._t(opened), self._t(opened), None if is_open else self._t(opened + dt.timedelta(days=3)),
                         None if is_open else self._t(opened + dt.timedelta(days=4)), 0, "",
                         self._t(min(dues)) if dues else None))
            search.append((i, terms(number, desc, model, f"SN{customer:09d}")))
            link_id += 1
            links.append((link_id, i, f"c{i}", "in", self._t(opened), "system", True))
            if len(rows) == CHUNK:
                yield [("tickets", rows), ("ticket_search", search), ("sla_clocks", clocks), ("ticket_calls", links)]
                rows, search, clocks, links = [], [], [], []
        if rows:
            yield [("tickets", rows), ("ticket_search", search), ("sla_clocks", clocks), ("ticket_calls", links)]

    def calls(self) -> Iterator[list[tuple]]:
        rnd = random.Random(self.seed + 2)
        span = 730 * 24 * 3600
        rows = []
        for i in range(1, self.size.calls + 1):
            customer = rnd.randint(1, self.size.customers) if rnd.random() < 0.8 else None
            number = phone(customer) if customer else f"+86166{rnd.randint(0, 99_999_999):08d}"
            offered = self.now - dt.timedelta(seconds=span * (1 - i / self.size.calls))
            answered = rnd.random() < 0.85
            call_id = f"c{i}" if i <= self.size.tickets else f"{int(offered.timestamp())}.{i}"
            rows.append((i, call_id, "inbound", number, "", number, "4008001234", "support", customer,
                         self._t(offered), self._t(offered + dt.timedelta(seconds=20)) if answered else None,
                         self._t(offered + dt.timedelta(seconds=200)), 20, 180 if answered else 0,
                         "answered" if answered else "abandoned", "PJSIP/1001" if answered else "", "PJSIP/1001",
                         16, "", None, None))
            if len(rows) == CHUNK:
                yield [("calls", rows)]
                rows = []
        if rows:
            yield [("calls", rows)]
