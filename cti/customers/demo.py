"""Seeded demo data: customers, their phones and appliances, and demo logins.

Pure: :func:`generate` returns dataclasses and touches neither the database nor
the clock. The same ``seed`` gives the same data (with the same Faker version);
``today`` only shifts every purchase date by the same amount, so a demo loaded
on any day shows the same mix of warranty states. The default ``today``,
:data:`REFERENCE_DATE`, makes tests reproducible; ``cti demo`` passes the real
date.

What the data contains (for ``customers=200``):

* the four customers of the recorded AMI traces, first and always the same:
  张三 +8613800138000 (vip), 李四 +8613912345678, 王五 +8618612345678
  (enterprise contact), 赵六 +8613312345678;
* mostly Chinese mobiles (Faker ``zh_CN``), written the ways people write
  them (``138 0013 8000``, ``+86 138…``, ``138-0013-8000``);
* about 15% Beijing (010) / Shanghai (021) landlines;
* three foreign numbers (+1, +44, +852);
* three landlines shared by two customers each (a company switchboard, a
  family's home phone, a shop's phone): the "several customers on one
  number" case;
* appliances with model codes, serials, 12/24/36-month warranties and purchase
  dates within four years, mixed so that some are in warranty, some expire
  within 30 days (5–25 days left) and some have expired;
* tiers ``standard`` / ``vip`` / ``enterprise``.

Every customer's district is the one its address names (``北京市朝阳区…`` → ``朝阳区``), for
dispatch by region (:mod:`cti.dispatch.demo` gives the districts of 北京市 and 上海市 engineers).

Demo logins (documented, for the demo only):

=========  ===========  ===========  ==========
username   password     interface    role
=========  ===========  ===========  ==========
1001       demo1001     PJSIP/1001   agent
1002       demo1002     PJSIP/1002   agent
1003       demo1003     PJSIP/1003   agent
admin      demoadmin    (none)       admin
eng01      demo-eng01   (none)       engineer
eng02      demo-eng02   (none)       engineer
eng03      demo-eng03   (none)       engineer
eng04      demo-eng04   (none)       engineer
=========  ===========  ===========  ==========

Mobiles starting with 166 are reserved for :func:`unknown_numbers` (callers
who are not customers); no demo customer has one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

from cti.customers.warranty import add_months
from cti.phone import normalise

__all__ = [
    "REFERENCE_DATE", "DemoPhone", "DemoProduct", "DemoCustomer", "DemoAgent", "DemoData",
    "generate", "unknown_numbers", "callers",
]  # fmt: skip

RECORDED_NUMBERS = ("+8613800138000", "+8613912345678", "+8618612345678", "+8613312345678")  # the traces' customers
REFERENCE_DATE = date(2026, 11, 27)
MIN_CUSTOMERS = 20
UNKNOWN_PREFIX = "+86166"

TIERS = ("standard", "vip", "enterprise")


@dataclass(frozen=True, slots=True)
class DemoPhone:
    raw: str  # as a person would enter it
    label: str  # free text shown beside the number ("手机", "公司总机")


@dataclass(frozen=True, slots=True)
class DemoProduct:
    model: str  # "空调 KFR-35GW/BP3DN8Y"
    serial: str
    purchase_date: date
    warranty_months: int


@dataclass(slots=True)
class DemoCustomer:
    name: str
    tier: str
    notes: str
    city: str
    address: str
    phones: list[DemoPhone] = field(default_factory=list)
    products: list[DemoProduct] = field(default_factory=list)

    @property
    def district(self) -> str:
        """The district the address names after the city (``""`` when it names none of the city's)."""
        return next((d for d in CITIES.get(self.city, ()) if self.address.startswith(self.city + d)), "")


@dataclass(frozen=True, slots=True)
class DemoAgent:
    username: str
    display_name: str
    password: str
    interface: str | None  # None: the supervisor and the engineers have no phone of the PBX
    role: str  # "agent" | "admin" | "engineer"


@dataclass(slots=True)
class DemoData:
    seed: int
    today: date
    customers: list[DemoCustomer]
    agents: list[DemoAgent]


AGENTS = (
    DemoAgent("1001", "刘洋", "demo1001", "PJSIP/1001", "agent"),
    DemoAgent("1002", "陈静", "demo1002", "PJSIP/1002", "agent"),
    DemoAgent("1003", "杨帆", "demo1003", "PJSIP/1003", "agent"),
    DemoAgent("admin", "周敏（主管）", "demoadmin", None, "admin"),
    DemoAgent("eng01", "张伟", "demo-eng01", None, "engineer"),  # field engineers: cti.dispatch.demo
    DemoAgent("eng02", "王磊", "demo-eng02", None, "engineer"),
    DemoAgent("eng03", "李强", "demo-eng03", None, "engineer"),
    DemoAgent("eng04", "赵敏", "demo-eng04", None, "engineer"),
)

# category, model code, serial prefix, possible warranty months
CATALOGUE = (
    ("空调", "KFR-35GW/BP3DN8Y-PH200", "KT", (12, 36)),
    ("空调", "KFR-26GW/N8MJA3", "KT", (12, 36)),
    ("空调", "KFR-72LW/BP2DN1Y-YA400", "KT", (12, 36)),
    ("洗衣机", "XQG100-B14376W", "XY", (12, 24)),
    ("洗衣机", "TG100V88WMUIADY5", "XY", (12, 24)),
    ("冰箱", "BCD-470WDPG", "BX", (12, 24, 36)),
    ("冰箱", "BCD-535WKPZM(E)", "BX", (12, 24, 36)),
    ("燃气热水器", "JSQ30-16HWA", "RS", (24, 36)),
    ("电热水器", "EC6001-Q6", "RS", (24, 36)),
    ("净水器", "MRO1788A-600G", "JS", (12, 24)),
    ("扫地机器人", "SR-T10 Pro", "SD", (12,)),
    ("油烟机", "CXW-230-E900C15", "YY", (12, 24)),
    ("燃气灶", "JZT-Q216B", "RZ", (12, 24)),
    ("洗碗机", "WQP12-J7309", "XW", (12, 24)),
)

CITIES = {
    "北京市": ("朝阳区", "海淀区", "东城区", "丰台区", "通州区"),
    "上海市": ("浦东新区", "徐汇区", "静安区", "闵行区", "杨浦区"),
    "广州市": ("天河区", "越秀区", "海珠区", "番禺区"),
    "深圳市": ("南山区", "福田区", "宝安区", "龙岗区"),
    "杭州市": ("西湖区", "拱墅区", "滨江区", "余杭区"),
    "成都市": ("武侯区", "锦江区", "高新区", "双流区"),
    "武汉市": ("洪山区", "江汉区", "武昌区"),
    "南京市": ("鼓楼区", "玄武区", "江宁区"),
    "西安市": ("雁塔区", "碑林区", "未央区"),
}
AREA_CODES = {"北京市": "010", "上海市": "021"}
ROADS = ("建国路", "中山路", "人民路", "解放大道", "文化路", "长江路", "光华路", "科技园路", "滨河路", "学院路")
NOTES = (
    "上门前请先电话联系，白天家里没人",
    "老人独居，说话请慢一点、声音大一点",
    "只接受周末上门",
    "曾投诉安装延误，注意服务态度",
    "小区门禁需提前登记，师傅到了打电话",
    "物业统一报修，发票抬头开公司",
    "要求女师傅上门",
)
MOBILE_FORMS = ("{n}", "{n}", "{a} {b} {c}", "+86 {a} {b} {c}", "{a}-{b}-{c}", "+86{n}")


def generate(seed: int = 2026, customers: int = 200, *, today: date = REFERENCE_DATE) -> DemoData:
    """Build ``customers`` demo customers (trace customers first) and the demo logins.

    >>> data = generate(customers=20)
    >>> data.customers[0].name, data.customers[0].phones[0].raw
    ('张三', '+8613800138000')
    >>> [a.username for a in data.agents]
    ['1001', '1002', '1003', 'admin', 'eng01', 'eng02', 'eng03', 'eng04']
    >>> data.customers[0].city, data.customers[0].district
    ('北京市', '朝阳区')
    """
    if customers < MIN_CUSTOMERS:
        raise ValueError(f"customers must be at least {MIN_CUSTOMERS}, got {customers}")
    maker = _Maker(seed, today)
    rows = _trace_customers(maker) + _shared_pairs(maker) + _foreign_customers(maker)
    rest = [maker.customer() for _ in range(customers - len(rows))] + rows[4:]
    maker.rnd.shuffle(rest)
    return DemoData(seed=seed, today=today, customers=rows[:4] + rest, agents=list(AGENTS))


def unknown_numbers(seed: int = 2026, n: int = 20) -> list[str]:
    """``n`` distinct valid CN mobiles (E.164, ``+86166…``) that no demo customer has."""
    rnd = random.Random(f"unknown-{seed}")
    found: dict[str, None] = {}
    while len(found) < n:
        number = f"{UNKNOWN_PREFIX}{rnd.randrange(10**8):08d}"
        if normalise(number).kind == "mobile":
            found[number] = None
    return list(found)


def callers(data: DemoData) -> list[tuple[str, str]]:
    """(number as a trunk sends it, customer name) for every phone of every customer."""
    return [
        (info.e164, customer.name)
        for customer in data.customers
        for phone in customer.phones
        if (info := normalise(phone.raw)).e164 is not None
    ]


class _Maker:
    """Seeded source of names, numbers, addresses and products; remembers what it used."""

    def __init__(self, seed: int, today: date) -> None:
        self.rnd = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.today = today
        self.used: set[str] = set(RECORDED_NUMBERS)
        self.serials: set[str] = set()

    def customer(self) -> DemoCustomer:
        tier = self.rnd.choices(TIERS, weights=(75, 15, 10))[0]
        if tier == "enterprise":
            return self._enterprise()
        city = self.rnd.choice(list(CITIES))
        phones = [DemoPhone(self.mobile(), "手机")]
        if city in AREA_CODES and self.rnd.random() < 0.3:
            phones.append(DemoPhone(self.landline(city), "家里座机"))
        elif self.rnd.random() < 0.06:
            phones.append(DemoPhone(self.mobile(), "备用手机"))
        return DemoCustomer(self.fake.name(), tier, self.note(), city, self.address(city), phones, self.products())

    def _enterprise(self) -> DemoCustomer:
        city = self.rnd.choice(list(AREA_CODES))
        contact = self.fake.name()
        phones = [DemoPhone(self.landline(city), "前台"), DemoPhone(self.mobile(), f"联系人 {contact}")]
        products = self.products(self.rnd.randint(2, 4))
        return DemoCustomer(self.fake.company(), "enterprise", self.note(0.4), city, self.address(city), phones, products)

    def mobile(self) -> str:
        while True:
            digits = self.fake.phone_number()
            e164 = "+86" + digits
            if e164 in self.used or e164.startswith(UNKNOWN_PREFIX) or normalise(e164).kind != "mobile":
                continue
            self.used.add(e164)
            form = self.rnd.choice(MOBILE_FORMS)
            return form.format(n=digits, a=digits[:3], b=digits[3:7], c=digits[7:])

    def landline(self, city: str) -> str:
        code = AREA_CODES[city]
        while True:
            local = f"{self.rnd.randint(5, 8)}{self.rnd.randrange(10**7):07d}"
            e164 = f"+86{code[1:]}{local}"
            if e164 not in self.used and normalise(e164).kind == "fixed_line":
                self.used.add(e164)
                return f"{code}-{local[:4]} {local[4:]}"

    def address(self, city: str) -> str:
        district = self.rnd.choice(CITIES[city])
        road = self.rnd.choice(ROADS)
        building, unit, room = self.rnd.randint(1, 30), self.rnd.randint(1, 6), self.rnd.randint(1, 28) * 100 + self.rnd.randint(1, 4)
        return f"{city}{district}{road}{self.rnd.randint(1, 999)}号 {building}号楼{unit}单元{room}室"

    def note(self, chance: float = 0.12) -> str:
        return self.rnd.choice(NOTES) if self.rnd.random() < chance else ""

    def products(self, count: int | None = None) -> list[DemoProduct]:
        if count is None:
            count = self.rnd.choices((0, 1, 2, 3), weights=(10, 50, 30, 10))[0]
        return [self.product() for _ in range(count)]

    def product(self, state: str | None = None, item: int | None = None) -> DemoProduct:
        category, code, prefix, months_choices = CATALOGUE[self.rnd.randrange(len(CATALOGUE)) if item is None else item]
        months = self.rnd.choice(months_choices)
        state = state or self.rnd.choices(("in_warranty", "expiring", "expired"), weights=(50, 12, 38))[0]
        purchase = self._purchase_date(state, months)
        return DemoProduct(f"{category} {code}", self.serial(prefix), purchase, months)

    def _purchase_date(self, state: str, months: int) -> date:
        """A purchase date giving ``state`` today, at most four years back."""
        if state == "in_warranty":
            left = self.rnd.randint(45, months * 28)
        elif state == "expiring":
            left = self.rnd.randint(5, 25)
        else:
            left = -self.rnd.randint(15, 1440 - months * 31)
        return add_months(self.today + timedelta(days=left), -months)

    def serial(self, prefix: str) -> str:
        alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
        while True:
            serial = prefix + "".join(self.rnd.choice(alphabet) for _ in range(14))
            if serial not in self.serials:
                self.serials.add(serial)
                return serial


def _trace_customers(m: _Maker) -> list[DemoCustomer]:
    """The customers the recorded AMI traces call from, fixed by hand."""
    return [
        DemoCustomer("张三", "vip", "VIP 客户，去年空调维修很满意；来电优先接听", "北京市",
                     "北京市朝阳区建国路88号 9号楼2单元1502室", [DemoPhone("+8613800138000", "手机")],
                     [m.product("in_warranty", 0), m.product("expiring", 5)]),
        DemoCustomer("李四", "standard", "", "上海市", "上海市浦东新区世纪大道100号 3号楼1单元801室",
                     [DemoPhone("139 1234 5678", "手机")], [m.product("expired", 3)]),
        DemoCustomer("王五", "enterprise", "物业统一报修，发票抬头开公司", "北京市",
                     "北京市海淀区学院路35号 1号楼1单元101室", [DemoPhone("+86 186 1234 5678", "手机")],
                     [m.product("in_warranty", 2), m.product("in_warranty", 2), m.product("expired", 9)]),
        DemoCustomer("赵六", "standard", "上门前请先电话联系，白天家里没人", "广州市",
                     "广州市天河区中山路12号 5号楼3单元602室", [DemoPhone("133-1234-5678", "手机")],
                     [m.product("expiring", 7)]),
    ]  # fmt: skip


def _shared_pairs(m: _Maker) -> list[DemoCustomer]:
    """Three landlines with two customers each: a switchboard, a family, a shop."""
    pairs: list[DemoCustomer] = []
    company = m.fake.company()
    board, address = m.landline("北京市"), m.address("北京市")
    for _ in range(2):
        phones = [DemoPhone(board, f"{company}总机"), DemoPhone(m.mobile(), "手机")]
        pairs.append(DemoCustomer(m.fake.name(), "standard", "", "北京市", address, phones, m.products(1)))
    home, address, surname = m.landline("上海市"), m.address("上海市"), m.fake.last_name()
    for note in ("", "老人独居，说话请慢一点、声音大一点"):
        phones = [DemoPhone(home, "家里座机")] + ([DemoPhone(m.mobile(), "手机")] if not note else [])
        pairs.append(DemoCustomer(surname + m.fake.first_name(), "standard", note, "上海市", address, phones, m.products(1)))
    shop, address = m.landline("上海市"), m.address("上海市")
    for tier in ("vip", "standard"):
        phones = [DemoPhone(shop, "店里电话"), DemoPhone(m.mobile(), "手机")]
        pairs.append(DemoCustomer(m.fake.name(), tier, "", "上海市", address, phones, m.products(2)))
    return pairs


def _foreign_customers(m: _Maker) -> list[DemoCustomer]:
    """Three customers reachable only abroad (+1, +44, +852)."""
    numbers = (("+1 415-555-0142", "美国手机"), ("+44 20 7946 0321", "英国办公室"), ("+852 9123 4567", "香港手机"))
    found = []
    for raw, label in numbers:
        city = m.rnd.choice(list(CITIES))
        note = "常驻海外，回电请注意时差"
        found.append(DemoCustomer(m.fake.name(), "standard", note, city, m.address(city), [DemoPhone(raw, label)], m.products(1)))
    return found
