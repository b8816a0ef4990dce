"""The reports' daily aggregates (SQLite and PostgreSQL): a rebuild run twice leaves the same rows, a
rebuild after the call log changed replaces the day's rows (a call that ended, a row that is gone),
calls belong to the local day they were offered, and ``cti reports rebuild`` does it from the command line."""

from __future__ import annotations

import datetime as dt

from reports_support import add, call, customer, kept, local, ticket
from sqlalchemy import delete, select, update

from cti.calls.models import Call
from cti.store import Database
from cti.supervision.reports_build import ReportsJob, rebuild
from cti.supervision.reports_models import ReportAgentDay, ReportModelDay, ReportPromiseDay, ReportQueueDay

SHANGHAI_DAYS = (dt.date(2026, 11, 3), dt.date(2026, 11, 4))


async def everything(db) -> dict[str, list[tuple]]:
    found = {}
    async with db.session() as s:
        for table in (ReportQueueDay, ReportAgentDay, ReportModelDay, ReportPromiseDay):
            columns = list(table.__table__.columns)
            found[table.__tablename__] = sorted(tuple(r) for r in (await s.execute(select(*columns))).all())
    return found


async def seed(db) -> None:
    city = await customer(db, "客户", city="北京")
    await add(db, call("a", local(3, 9), "answered", wait=10, talk=100, agent="PJSIP/1001", customer_id=city),
              call("b", local(3, 23, 59, 30), None, wait=None, agent="PJSIP/1002"),  # still ringing at midnight
              call("c", local(4, 8), "abandoned", wait=3))
    await ticket(db, city, "complaint", local(3, 9), model="冰箱 A", city="北京")
    await ticket(db, city, "repair", local(3, 10), model="冰箱 A", city="北京", clocks=(("on_site", kept()),))


async def test_a_rebuild_twice_leaves_the_same_rows(db):
    await seed(db)
    zone = dt.timezone(dt.timedelta(hours=8))
    written = await rebuild(db, *SHANGHAI_DAYS, zone)
    first = await everything(db)
    assert written == sum(len(rows) for rows in first.values()) == 7
    assert await rebuild(db, *SHANGHAI_DAYS, zone) == written
    assert await everything(db) == first
    assert first["report_queue_days"] == [
        (dt.date(2026, 11, 3), "support", "", 1, 0, 0, 0, 0, 0.0, 0.0),  # the call still ringing: offered only
        (dt.date(2026, 11, 3), "support", "北京", 1, 1, 0, 0, 1, 10.0, 100.0),
        (dt.date(2026, 11, 4), "support", "", 1, 0, 0, 1, 0, 0.0, 0.0)]  # a short abandon
    assert first["report_model_days"] == [(dt.date(2026, 11, 3), "冰箱 A", "北京", 2, 1, 1)]
    assert first["report_promise_days"] == [(dt.date(2026, 11, 3), "repair", "on_site", "北京", 0, 0, "kept", 1)]


async def test_a_rebuild_follows_the_call_log(db):
    await seed(db)
    zone = dt.timezone(dt.timedelta(hours=8))
    await rebuild(db, *SHANGHAI_DAYS, zone)
    async with db.session() as s:  # the call across midnight was answered after it; another row went away
        await s.execute(update(Call).where(Call.call_id == "b").values(
            disposition="answered", wait_seconds=45, talk_seconds=300, answered_by="PJSIP/1002"))
        await s.execute(delete(Call).where(Call.call_id == "c"))
        await s.commit()
    await rebuild(db, *SHANGHAI_DAYS, zone)
    rows = (await everything(db))["report_queue_days"]
    assert rows == [(dt.date(2026, 11, 3), "support", "", 1, 1, 0, 0, 0, 45.0, 300.0),  # still its first day
                    (dt.date(2026, 11, 3), "support", "北京", 1, 1, 0, 0, 1, 10.0, 100.0)]


async def test_the_job_keeps_yesterday_and_today(db):
    await seed(db)
    job = ReportsJob(db, dt.timezone(dt.timedelta(hours=8)), clock=lambda: local(4, 12))
    await job.run()
    days = {row[0] for rows in (await everything(db)).values() for row in rows}
    assert days == set(SHANGHAI_DAYS)


def test_the_command_line_rebuilds_a_range(run, tmp_path):
    assert run("migrate").returncode == 0
    import asyncio

    async def fill() -> None:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
        try:
            await seed(database)
        finally:
            await database.close()

    asyncio.run(fill())
    done = run("reports", "rebuild", "--from", "2026-11-03", "--to", "2026-11-04")
    assert done.returncode == 0, done.stderr
    assert "2026-11-03: 6 rows" in done.stdout and "rebuilt 2 days (7 rows)" in done.stdout
    again = run("reports", "rebuild", "--from", "2026-11-03", "--to", "2026-11-04")
    assert "rebuilt 2 days (7 rows)" in again.stdout
    backwards = run("reports", "rebuild", "--from", "2026-11-04", "--to", "2026-11-03")
    assert backwards.returncode == 1 and "before --from" in backwards.stderr
