"""A campaign's counters and contacts as its page reads them (SQLite file and PostgreSQL): contacts per state
and per outcome of the latest attempt, those waiting for a retry, attempts today (local midnight), lines in
use against the maximum, a survey's ratings and their average, the next contact due; the contacts filtered,
searched and paged; one contact with its attempts and the decisions taken on it. The counts are read from an
index alone (the query plan says so), so a campaign of 100,000 contacts costs the page no table scan."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, text

from cti.campaigns import admin, queries
from cti.campaigns.models import CampaignContact
from tests.integration.campaigns.support import (
    SHANGHAI, TUESDAY_10, add_attempt, add_contacts, new_campaign, rate,
)  # fmt: skip

MIDNIGHT = dt.datetime(2026, 12, 1, tzinfo=SHANGHAI).astimezone(dt.UTC)


async def progress(db, campaign_id: int) -> dict:
    return await db.read(queries.progress, campaign_id, day_start=MIDNIGHT)


async def test_the_counters_say_how_far_a_survey_is(db):
    campaign_id = await new_campaign(db, state="running", max_concurrent="8")
    ids = await add_contacts(db, campaign_id, [
        ("+8613800000001", "done", "answered"), ("+8613800000002", "done", "answered"),
        ("+8613800000003", "pending", "busy"), ("+8613800000004", "pending", ""),
        ("+8613800000005", "dialling", ""), ("+8613800000006", "exhausted", "no_answer"),
        ("+8613800000007", "unknown", "unknown"), ("+8613800000008", "do_not_call", "do_not_call"),
        ("+8613800000009", "exhausted", "invalid_number")])
    await add_attempt(db, campaign_id, ids[0], 1, outcome="answered", at=MIDNIGHT - dt.timedelta(minutes=1))  # yesterday
    await add_attempt(db, campaign_id, ids[1], 1, outcome="answered")
    await add_attempt(db, campaign_id, ids[2], 1, outcome="busy")
    await add_attempt(db, campaign_id, ids[4], 1, state="dialled")
    for contact_id, rating in ((ids[0], 5), (ids[1], 4)):
        await rate(db, campaign_id, contact_id, rating)
    other = await new_campaign(db, name="别的活动", state="running")
    await add_contacts(db, other, [("+8613800000001", "pending", "")])  # not counted here

    shown = await progress(db, campaign_id)
    assert shown["total"] == 9
    assert {k: v for k, v in shown["states"].items() if v} == {
        "done": 2, "pending": 2, "dialling": 1, "exhausted": 2, "unknown": 1, "do_not_call": 1}
    assert {k: v for k, v in shown["outcomes"].items() if v} == {
        "answered": 2, "busy": 1, "no_answer": 1, "unknown": 1, "do_not_call": 1, "invalid_number": 1}
    assert (shown["retrying"], shown["closed"], shown["attempts_today"], shown["lines"]) == (1, 5, 3, 1)
    assert shown["ratings"] == {1: 0, 2: 0, 3: 0, 4: 1, 5: 1} and (shown["rated"], shown["average"]) == (2, 4.5)
    assert shown["next_due"] == TUESDAY_10


async def test_an_empty_campaign_counts_zero_and_has_nothing_due(db):
    shown = await progress(db, await new_campaign(db))
    assert (shown["total"], shown["average"], shown["next_due"], sum(shown["ratings"].values())) == (0, None, None, 0)


async def test_the_list_shows_each_campaign_with_its_counts_running_first(db):
    draft = await new_campaign(db, name="草稿")
    running = await new_campaign(db, name="进行中", state="running")
    finished = await new_campaign(db, name="已结束", state="finished")
    ids = await add_contacts(db, running, [("+8613800000001", "done", "answered"), ("+8613800000002", "pending", ""),
                                           ("+8613800000003", "unknown", "unknown")])
    await add_attempt(db, running, ids[1], 1, state="claimed")
    lines, total = await db.read(queries.campaign_list)
    assert total == 3 and [line.campaign.id for line in lines] == [running, draft, finished]
    first = lines[0]
    assert (first.total, first.closed, first.unknown, first.lines) == (3, 1, 1, 1)


async def test_contacts_are_filtered_by_state_and_outcome_searched_by_number_or_name_and_paged(db):
    campaign_id = await new_campaign(db)
    await add_contacts(db, campaign_id, [(f"+86138000{n:05d}", "pending" if n % 2 else "done",
                                          "busy" if n % 3 == 0 else "") for n in range(120)])
    async with db.session() as s:
        await s.execute(text("UPDATE campaign_contacts SET name = '李雷' WHERE e164 = '+8613800000007'"))
        await s.commit()

    def page(**f) -> tuple[list[str], int]:
        return db.read(lambda s: (lambda rows, n: ([c.e164 for c in rows], n))(
            *queries.contacts_page(s, campaign_id, queries.ContactFilter(**f))))

    rows, total = await page()
    assert total == 120 and len(rows) == 50 and rows[0] == "+8613800000000"
    rows, total = await page(page=3)
    assert total == 120 and rows[-1] == "+8613800000119" and len(rows) == 20
    assert (await page(state="pending"))[1] == 60
    assert (await page(state="pending", outcome="busy"))[1] == 20  # odd multiples of 3
    assert (await page(outcome="none"))[1] == 80
    assert await page(numbers=("+8613800000042",)) == (["+8613800000042"], 1)
    assert (await page(digits="0011"))[1] == 11  # 00011, 00110 … 00119
    assert await page(name="李") == (["+8613800000007"], 1)


async def test_one_contact_with_its_attempts_and_the_decision_taken(db):
    campaign_id = await new_campaign(db, state="running")
    (c,) = await add_contacts(db, campaign_id, [("+8613800000001", "unknown", "unknown")], attempts=2)
    await add_attempt(db, campaign_id, c, 1, outcome="busy", cause=17)
    await add_attempt(db, campaign_id, c, 2, state="unknown", outcome="unknown", at=TUESDAY_10 + dt.timedelta(minutes=10))
    unknown = await db.read(queries.unknown_contacts, campaign_id)
    assert [(u["contact"].id, u["attempt"].number) for u in unknown] == [(c, 2)]
    await db.write(admin.decide, campaign_id, c, "redial", actor="lead", now=TUESDAY_10 + dt.timedelta(hours=1))

    found = await db.read(queries.contact_detail, campaign_id, c)
    assert [(a.number, a.outcome, a.cause) for a in found["attempts"]] == [(1, "busy", 17), (2, "unknown", None)]
    assert [(d.actor, d.action) for d in found["decisions"]] == [("lead", "decide_redial")]
    assert await db.read(queries.unknown_contacts, campaign_id) == []
    assert await db.read(queries.contact_detail, campaign_id + 1, c) is None  # another campaign's address


async def test_the_counts_of_a_big_campaign_come_from_the_index_alone(db):
    campaigns = [await new_campaign(db, name=f"活动 {n}") for n in range(5)]
    rows = [{"campaign_id": campaigns[n % 5], "e164": f"+86138{n:08d}", "name": "", "language": "", "data": {},
             "dedupe_key": f"+86138{n:08d}", "source": "import", "reason": "", "origin_call_id": "",
             "state": ("pending", "done", "exhausted")[n % 3], "outcome": ("", "answered", "busy")[n % 3],
             "attempts": n % 3, "next_at": TUESDAY_10, "created_at": TUESDAY_10, "updated_at": TUESDAY_10}
            for n in range(20_000)]
    async with db.session() as s:
        await s.execute(insert(CampaignContact), rows)
        await s.commit()
    shown = await progress(db, campaigns[2])
    assert shown["total"] == 4000 and shown["states"]["done"] + shown["states"]["pending"] + shown["states"]["exhausted"] == 4000

    query = ("SELECT state, outcome, count(*) FROM campaign_contacts WHERE campaign_id = :c "
             "GROUP BY state, outcome")
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            plan = " ".join(str(r[-1]) for r in await conn.execute(text("EXPLAIN QUERY PLAN " + query), {"c": campaigns[2]}))
            assert "USING COVERING INDEX ix_campaign_contacts_progress" in plan, plan
            lines = queries.lines_query([campaigns[2]]).compile(dialect=conn.dialect,
                                                                compile_kwargs={"render_postcompile": True})
            params = tuple(lines.params[name] for name in lines.positiontup)  # bound, as the page sends them
            plan = " ".join(str(r[-1]) for r in await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(lines), params))
            assert "ix_campaign_attempts_busy" in plan, plan  # the partial index of the lines in use, not a scan
        else:  # what autovacuum does on a server: statistics, and the visibility map an index-only scan needs
            await conn.commit()
            vacuum = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await vacuum.execute(text("VACUUM ANALYZE campaign_contacts"))
            plan = " ".join(r[0] for r in await conn.execute(text("EXPLAIN " + query), {"c": campaigns[2]}))
            assert "ix_campaign_contacts_progress" in plan, plan
