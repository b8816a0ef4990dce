"""A year of a busy hotline for bench/reports.py: customers with products, outlets and engineers, tickets
with their SLA clocks, completion reports and linked calls, a call log over four queues and forty agents,
follow-up ratings and callbacks — seeded, as tuples in each table's column order, in chunks (flat memory).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass

CHUNK = 20_000
DAYS = 365
CITIES = ("北京市", "上海市", "广州市", "深圳市", "成都市")
MODELS = [f"{p}-{n}" for p in ("KFR", "XQB", "BCD", "JSQ", "LED", "DW") for n in (26, 35, 50, 72, 80, 120, 216)]
PARTS = ("压缩机", "主板", "温控器", "排水泵", "电机", "门封条", "传感器", "电容")
QUEUES = ("support", "repair", "sales", "vip")
AGENTS = tuple(f"PJSIP/{1001 + n}" for n in range(40))
OUTLETS, ENGINEERS = 10, 60
# (service type, mode, workflow, share)
TYPES = (("repair", "carry_in", "carry_in", 0.35), ("repair", "on_site", "on_site", 0.30),
         ("installation", None, "on_site", 0.12), ("delivery", None, "on_site", 0.05),
         ("complaint", None, "complaint", 0.08), ("enquiry", None, "note_only", 0.08), ("praise", None, "note_only", 0.02))
EMPTY = json.dumps({})

COLUMNS = {
    "service_outlets": ("id", "name", "city", "district", "phone", "active"),
    "engineers": ("id", "name", "phone", "user_id", "outlet_id", "active"),
    "service_regions": ("id", "city", "district", "engineer_id", "outlet_id"),
    "customers": ("id", "name", "tier", "notes", "city", "district", "address", "created_at", "updated_at"),
    "products": ("id", "customer_id", "model", "serial", "purchase_date", "warranty_months"),
    "tickets": ("id", "number", "customer_id", "product_id", "product_model", "product_serial", "service_type",
                "service_mode", "workflow", "state", "is_open", "priority", "description", "warranty", "claim_unit",
                "escalation_level", "sla_status", "city", "district", "address", "engineer_id", "outlet_id",
                "stop_reason", "opened_by", "opened_at", "updated_at", "resolved_at", "closed_at", "reopened",
                "external_ref"),
    "sla_clocks": ("id", "ticket_id", "kind", "calendar", "budget_seconds", "used_seconds", "running_since",
                   "stopped_at", "due_at"),
    "completion_reports": ("id", "ticket_id", "engineer_id", "completed_at", "work_done", "labour_charge",
                           "parts_charge", "review", "reviewed_by", "review_note"),
    "completion_parts": ("id", "report_id", "name", "quantity", "unit_price"),
    "ticket_calls": ("id", "ticket_id", "call_id", "direction", "at", "linked_by", "counts_as_repeat"),
    "calls": ("id", "call_id", "direction", "caller_raw", "caller_name", "caller_e164", "dnis", "queue", "customer_id",
              "offered_at", "answered_at", "ended_at", "wait_seconds", "talk_seconds", "disposition", "answered_by",
              "last_agent", "action_id"),
    "campaigns": ("id", "name", "kind", "state", "mode", "dial", "context", "caller_id", "queue", "window",
                  "allow_holidays", "max_concurrent", "per_minute", "retry", "feed", "rules", "created_by", "created_at",
                  "updated_at"),
    "campaign_contacts": ("id", "campaign_id", "e164", "name", "customer_id", "ticket_id", "language", "data",
                          "source", "reason", "origin_call_id", "state", "outcome", "attempts", "created_at",
                          "updated_at"),
    "survey_ratings": ("id", "contact_id", "campaign_id", "action_id", "rating", "ticket_id", "customer_id", "agent",
                       "engineer_id", "product_model", "service_type", "channel", "comment", "keyed_by", "keyed_at"),
}
SURVEY, ABANDONED, SCHEDULED = 1, 2, 3  # the campaigns' ids


LOCAL_ENGINEERS = {city: [e for e in range(1, ENGINEERS + 1) if CITIES[(e % OUTLETS + 1) % len(CITIES)] == city]
                   for city in CITIES}  # outlet o is in CITIES[o % 5]; engineer e works for outlet e % 10 + 1


def engineer_in(city: str, n: int) -> int:
    """One of the engineers of the outlets in the ticket's city, picked by the ticket's number."""
    local = LOCAL_ENGINEERS[city]
    return local[n % len(local)]


@dataclass(frozen=True)
class Size:
    calls: int
    tickets: int

    @property
    def customers(self) -> int:
        return max(1000, self.tickets // 5)

    @property
    def callbacks(self) -> int:
        return max(1000, self.calls // 50)


class Generator:
    def __init__(self, size: Size, now: dt.datetime, *, text_times: bool) -> None:
        self.size, self.now, self.text = size, now, text_times
        self.start = now - dt.timedelta(days=DAYS)

    def t(self, value: dt.datetime | None):
        if value is None or not self.text:
            return value
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def d(self, value: dt.date):
        return value.isoformat() if self.text else value

    def at(self, i: int, n: int, rnd: random.Random) -> dt.datetime:
        """The i-th of n moments spread over the year, a little jitter."""
        return self.start + dt.timedelta(seconds=DAYS * 86400 * i / n + rnd.randint(0, 300))

    def setup(self) -> Iterator[list[tuple[str, list[tuple]]]]:
        created = self.t(self.start)
        outlets = [(o, f"网点{o:02d}", CITIES[o % len(CITIES)], "", "", True) for o in range(1, OUTLETS + 1)]
        engineers = [(e, f"工程师{e:02d}", "", None, (e % OUTLETS) + 1, True) for e in range(1, ENGINEERS + 1)]
        regions = [(n + 1, city, "", None, n + 1) for n, city in enumerate(CITIES)]
        campaigns = [(cid, name, kind, "running", "progressive", "PJSIP/{number}@carrier", "callback", "", "support",
                      EMPTY, False, 5, 30.0, EMPTY, feed, EMPTY, "bench", created, created)
                     for cid, name, kind, feed in ((SURVEY, "服务回访", "survey", "resolved"),
                                                   (ABANDONED, "未接来电回拨", "callback", "abandoned"),
                                                   (SCHEDULED, "预约回拨", "callback", "scheduled"))]
        yield [("service_outlets", outlets), ("engineers", engineers), ("service_regions", regions),
               ("campaigns", campaigns)]

    def customers(self) -> Iterator[list[tuple[str, list[tuple]]]]:
        rnd = random.Random(1)
        rows, products = [], []
        for i in range(1, self.size.customers + 1):
            created = self.t(self.start)
            rows.append((i, f"客户{i}", "standard", "", CITIES[i % len(CITIES)], "", "", created, created))
            bought = (self.now - dt.timedelta(days=rnd.randint(1, 3 * DAYS))).date()
            products.append((i, i, MODELS[(i * 7) % len(MODELS)], f"SN{i:09d}", self.d(bought), 12))
            if len(rows) == CHUNK:
                yield [("customers", rows), ("products", products)]
                rows, products = [], []
        if rows:
            yield [("customers", rows), ("products", products)]

    def tickets(self) -> Iterator[list[tuple[str, list[tuple]]]]:
        rnd = random.Random(2)
        weights = [w for *_, w in TYPES]
        rows, clocks, reports, parts, links, contacts, ratings = [], [], [], [], [], [], []
        ids = {"clock": 0, "report": 0, "part": 0}
        n = self.size.tickets
        for i in range(1, n + 1):
            service_type, mode, flow, _ = rnd.choices(TYPES, weights)[0]
            opened = self.at(i, n, rnd)
            customer = rnd.randint(1, self.size.customers)
            model = MODELS[(customer * 7) % len(MODELS)]
            on_site = flow == "on_site"
            engineer = engineer_in(CITIES[customer % len(CITIES)], i) if on_site else None
            is_open = opened > self.now - dt.timedelta(days=7) and rnd.random() < 0.5
            resolved = None if is_open else opened + dt.timedelta(hours=rnd.uniform(2, 96))
            city = CITIES[customer % len(CITIES)]
            rows.append((i, f"T{i:08d}", customer, customer, model, f"SN{customer:09d}", service_type, mode, flow,
                         "open" if is_open else "closed", is_open, "normal", "", "in", False, 0, "ok", city, "", "",
                         engineer, (engineer % OUTLETS) + 1 if engineer else None, "", "agent", self.t(opened),
                         self.t(opened), self.t(resolved), self.t(resolved), 0, ""))
            if flow != "note_only":
                for kind, hours in (("first_contact", 24), ("on_site", 12), ("resolution", 72)):
                    if kind == "on_site" and not on_site:
                        continue
                    ids["clock"] += 1
                    clocks.append(self._clock(ids["clock"], i, kind, hours * 3600.0, opened, is_open, rnd))
            if on_site and not is_open and service_type == "repair" and rnd.random() < 0.4:
                ids["report"] += 1
                reports.append((ids["report"], i, engineer, self.t(resolved), "", 0, 0, "approved", "boss", ""))
                for _ in range(rnd.choice((1, 1, 2))):
                    ids["part"] += 1
                    parts.append((ids["part"], ids["report"], rnd.choice(PARTS), rnd.choice((1, 1, 2)), 0))
            links.append((i, i, f"c{i}", "in", self.t(opened), "system", True))
            if resolved is not None and rnd.random() < 0.1:
                contacts.append((i, SURVEY, f"+86138{customer:08d}", "", customer, i, "zh", EMPTY, "resolved", "", "",
                                 "done", "answered", 1, self.t(resolved), self.t(resolved)))
                ratings.append((i, i, SURVEY, "", rnd.choices((1, 2, 3, 4, 5), (5, 5, 10, 30, 50))[0], i, customer,
                                f"agent{rnd.randint(1, 40)}", engineer, model, service_type, "ivr", "", "",
                                self.t(resolved + dt.timedelta(hours=2))))
            if len(rows) == CHUNK:
                yield self._ticket_chunk(rows, clocks, reports, parts, links, contacts, ratings)
                rows, clocks, reports, parts, links, contacts, ratings = [], [], [], [], [], [], []
        if rows:
            yield self._ticket_chunk(rows, clocks, reports, parts, links, contacts, ratings)

    @staticmethod
    def _ticket_chunk(rows, clocks, reports, parts, links, contacts, ratings):
        return [("tickets", rows), ("sla_clocks", clocks), ("completion_reports", reports),
                ("completion_parts", parts), ("ticket_calls", links), ("campaign_contacts", contacts),
                ("survey_ratings", ratings)]

    def _clock(self, clock_id: int, ticket: int, kind: str, budget: float, opened: dt.datetime, is_open: bool,
               rnd: random.Random) -> tuple:
        used = budget * rnd.uniform(0.1, 1.25)  # one promise in five broken
        if is_open:
            due = opened + dt.timedelta(seconds=budget)
            return (clock_id, ticket, kind, "business", budget, 0.0, self.t(opened), None, self.t(due))
        return (clock_id, ticket, kind, "business", budget, used, None, self.t(opened + dt.timedelta(seconds=used)),
                None)

    def calls(self) -> Iterator[list[tuple[str, list[tuple]]]]:
        rnd = random.Random(3)
        rows = []
        n = self.size.calls
        for i in range(1, n + 1):
            offered = self.start + dt.timedelta(seconds=DAYS * 86400 * i / n)
            customer = rnd.randint(1, self.size.customers) if rnd.random() < 0.8 else None
            number = f"+86138{customer:08d}" if customer else f"+86166{rnd.randint(0, 99_999_999):08d}"
            roll = rnd.random()
            disposition = ("answered" if roll < 0.80 else "transferred" if roll < 0.83 else
                           "abandoned" if roll < 0.93 else "missed")
            wait = int(rnd.expovariate(1 / 25))
            agent = rnd.choice(AGENTS)
            answered = disposition in ("answered", "transferred")
            talk = rnd.randint(30, 600) if answered else None
            rows.append((i, f"c{i}", "inbound", number, "", number, "4008001234", rnd.choice(QUEUES), customer,
                         self.t(offered), self.t(offered + dt.timedelta(seconds=wait)) if answered else None,
                         self.t(offered + dt.timedelta(seconds=wait + (talk or 0))), wait, talk, disposition,
                         agent if answered else "", agent if disposition != "abandoned" else "", ""))
            if len(rows) == CHUNK:
                yield [("calls", rows)]
                rows = []
        if rows:
            yield [("calls", rows)]

    def callbacks(self) -> Iterator[list[tuple[str, list[tuple]]]]:
        """Callbacks, with contact ids after the follow-ups' (one per ticket at most)."""
        rnd = random.Random(4)
        rows = []
        n = self.size.callbacks
        for k in range(1, n + 1):
            created = self.at(k, n, rnd)
            agent = rnd.random() < 0.2
            state = rnd.choices(("done", "cancelled", "exhausted", "pending"), (80, 10, 5, 5))[0]
            changed = created + dt.timedelta(minutes=rnd.uniform(5, 300))
            data = json.dumps({"due": (created + dt.timedelta(hours=4)).astimezone(dt.UTC).isoformat()}) if agent else EMPTY
            rows.append((self.size.tickets + k, SCHEDULED if agent else ABANDONED, f"+86138{k:08d}", "",
                         rnd.randint(1, self.size.customers), None, "zh", data, "agent" if agent else "abandoned", "",
                         "", state, "", 1, self.t(created), self.t(changed)))
            if len(rows) == CHUNK:
                yield [("campaign_contacts", rows)]
                rows = []
        if rows:
            yield [("campaign_contacts", rows)]
