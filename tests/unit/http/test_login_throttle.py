"""The failed-login throttle: per (username, address), and per address across usernames (spraying)."""

from __future__ import annotations

from cti.http.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_lock_that_user_from_that_address_only():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(5):
        throttle.failed("agent1", "198.51.100.1")
    wait = throttle.retry_after("Agent1", "198.51.100.1")
    assert wait.scope == "user" and wait.seconds == 300
    assert not throttle.retry_after("agent1", "198.51.100.2")  # the same user elsewhere
    assert not throttle.retry_after("agent2", "198.51.100.1")  # another user from there
    clock.now += 301
    assert not throttle.retry_after("agent1", "198.51.100.1")


def test_spraying_many_usernames_from_one_address_locks_that_address():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for i in range(20):
        assert not throttle.retry_after(f"user{i}", "198.51.100.1")
        throttle.failed(f"user{i}", "198.51.100.1")
        clock.now += 1
    wait = throttle.retry_after("agent1", "198.51.100.1")  # even a user never tried
    assert wait.scope == "address" and 0 < wait.seconds <= 300
    assert not throttle.retry_after("agent1", "198.51.100.2")


def test_a_success_clears_the_user_count_but_not_the_address_count():
    throttle = LoginThrottle(clock=Clock())
    for i in range(19):
        throttle.failed(f"user{i}", "198.51.100.1")
    for _ in range(4):
        throttle.failed("agent1", "198.51.100.1")
    throttle.succeeded("agent1", "198.51.100.1")  # a sprayer's own good login does not reset the address
    throttle.failed("agent1", "198.51.100.1")
    assert throttle.retry_after("someone", "198.51.100.1").scope == "address"


def test_memory_stays_bounded_under_a_flood_of_addresses():
    throttle = LoginThrottle(clock=Clock(), max_keys=100)
    for i in range(5000):
        throttle.failed(f"user{i}", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
    assert throttle.size() <= 2 * 100
