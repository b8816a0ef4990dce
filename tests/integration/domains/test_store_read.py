"""``Database.read``: a read written for a synchronous Session, in one go, seeing what was committed."""

import threading

import pytest
from sqlalchemy import event, func, select

from cti.customers.models import Customer

from .helpers import add_customer


def _count_and_thread(session, name: str) -> tuple[int, str]:
    count = session.scalar(select(func.count()).select_from(Customer).where(Customer.name == name))
    return count, threading.current_thread().name


async def test_a_read_sees_what_the_async_engine_committed_and_runs_off_the_loop_on_sqlite(db):
    await add_customer(db, "张三", "13800138000")
    count, thread = await db.read(_count_and_thread, "张三")
    assert count == 1
    if db.is_sqlite:  # one thread hop for the whole read; the event loop's thread does not run it
        assert thread != threading.current_thread().name
    await add_customer(db, "张三", "13900139000")
    assert (await db.read(_count_and_thread, "张三"))[0] == 2  # a new session each time: no stale snapshot


def _add_then_fail(session, name: str) -> None:
    session.add(Customer(name=name))
    session.flush()
    raise RuntimeError("the unit of work fails after its insert")


def _add(session, name: str) -> int:
    session.add(customer := Customer(name=name))
    session.flush()
    return customer.id


async def test_a_write_commits_when_it_returns_and_keeps_nothing_when_it_raises(db):
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.read_engine, "before_cursor_execute", listen)
    try:
        assert await db.write(_add, "李四") > 0
        with pytest.raises(RuntimeError):
            await db.write(_add_then_fail, "王五")
    finally:
        event.remove(db.read_engine, "before_cursor_execute", listen)
    assert (await db.read(_count_and_thread, "李四"))[0] == 1
    assert (await db.read(_count_and_thread, "王五"))[0] == 0
    if db.is_sqlite:  # each unit takes the write lock before its first statement
        assert [st for st in statements if st.startswith("BEGIN")] == ["BEGIN IMMEDIATE", "BEGIN IMMEDIATE"]
        assert statements[0] == "BEGIN IMMEDIATE" and statements[1].startswith("INSERT")


async def test_a_write_can_be_the_first_thing_a_database_does(db):
    from cti.store import Database

    fresh = Database(db.url.render_as_string(hide_password=False))  # another process on the same database
    try:
        assert await fresh.write(_add, "赵六") > 0
    finally:
        await fresh.close()
    assert (await db.read(_count_and_thread, "赵六"))[0] == 1
