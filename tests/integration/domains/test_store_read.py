"""``Database.read``: a read written for a synchronous Session, in one go, seeing what was committed."""

import threading

from sqlalchemy import func, select

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
