"""Both languages render every page; the catalogs agree; the console page is wired for its script."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

from web_support import web, web_running  # noqa: F401

WEB = Path(__file__).resolve().parents[2] / "web"
PAGES = {
    "/": ("来电", "Incoming calls"),
    "/customers": ("按姓名或电话号码搜索", "Search by name or phone number"),
    "/customers/new": ("新建客户", "New customer"),
    "/calls": ("通话记录", "Call log"),
}
TESTIDS = ("pops", "connection", "pops-empty", "search", "whoami", "language-switch", "logout")


async def test_every_page_in_chinese_by_default(web):
    client = await web.login()
    for path, (zh, _) in PAGES.items():
        resp = await client.get(path)
        html = await resp.text()
        assert resp.status == 200 and '<html lang="zh-CN">' in html and zh in html, path
        assert resp.headers["Content-Language"] == "zh-CN"


async def test_every_page_in_english_when_that_is_the_default(db):
    async with web_running(db, language="en") as running:
        client = await running.login()
        for path, (_, en) in PAGES.items():
            html = await (await client.get(path)).text()
            assert '<html lang="en">' in html and en in html, path
        assert "Sign in" in await (await (await running.client()).get("/login")).text()


async def test_the_console_page_gives_its_script_what_it_needs(web):
    client = await web.login("agent1")
    html = await (await client.get("/")).text()
    for testid in TESTIDS:
        assert f'data-testid="{testid}"' in html, testid
    root = re.search(r'<div id="console"([^>]*)>', html).group(1)
    attrs = {k: htmllib.unescape(v) for k, v in re.findall(r'(data-[a-z0-9]+)="([^"]*)"', root)}
    assert attrs["data-epoch"] == web.hub.epoch
    assert attrs["data-interface"] == "PJSIP/1001"
    assert json.loads(attrs["data-agents"]) == {"PJSIP/1001": "王芳", "PJSIP/1002": "李娜"}
    catalog = json.loads(attrs["data-i18n"])
    assert catalog["state.answered_by"] == "已由 {name} 接听"
    assert attrs["data-csrf"] and re.search(r'<script type="module" src="/static/js/console\.js\?v=\w+">', html)


def test_catalogs_have_the_same_keys_and_cover_the_templates():
    zh = json.loads((WEB / "i18n" / "zh.json").read_text(encoding="utf-8"))
    en = json.loads((WEB / "i18n" / "en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    used = set()
    for tpl in (WEB / "templates").glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z0-9_.]+)'", tpl.read_text(encoding="utf-8")))
    for js in (WEB / "static" / "js").glob("*.js"):
        used |= set(re.findall(r'\bt\("([a-z0-9_.]+)"', js.read_text(encoding="utf-8")))
    assert {k for k in used if not k.endswith(".")} - set(zh) == set()
    for prefix, values in {"disposition.": ("answered", "abandoned", "missed", "transferred", "failed", "in_progress"),
                           "tier.": ("standard", "vip", "enterprise"),
                           "warranty.": ("in_warranty", "expiring", "expired"),
                           "state.": ("ringing", "answered_you", "answered_by", "missed", "caller_left",
                                      "transferred", "ended", "unknown")}.items():
        assert {prefix + v for v in values} <= set(zh), prefix



def test_no_catalog_says_a_key_twice():
    """A key given twice silently keeps the last text: a merge that repeats one would go unseen."""
    for lang in ("zh", "en"):
        pairs = json.loads((WEB / "i18n" / f"{lang}.json").read_text(encoding="utf-8"), object_pairs_hook=list)
        keys = [key for key, _ in pairs]
        assert sorted({k for k in keys if keys.count(k) > 1}) == [], lang
