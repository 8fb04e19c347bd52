"""The sliding-window rate limit, driven by a fake clock so every boundary is exact."""

from __future__ import annotations

import pytest

from campaign_api.domain.rate_limit import SlidingWindowRateLimiter


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def limiter_at(clock: FakeClock, *, limit: int, window: float, max_keys: int = 100) -> SlidingWindowRateLimiter:
    return SlidingWindowRateLimiter(limit, window, max_keys=max_keys, clock=clock)


def run(limiter: SlidingWindowRateLimiter, clock: FakeClock, steps: list[tuple[float, bool]]) -> list[bool]:
    """Attempt once for key "k" at each (offset from the start, _) and answer what the limiter said."""
    start = clock.now
    answers = []
    for offset, _expected in steps:
        clock.now = start + offset
        answers.append(limiter.attempt("k"))
    return answers


@pytest.mark.parametrize(
    ("limit", "window", "steps"),
    [
        pytest.param(3, 10, [(0, True), (1, True), (2, True), (3, False)], id="limit-allowed-then-refused"),
        pytest.param(1, 10, [(0, True), (9.5, False), (10, True)], id="allowed-again-exactly-at-window"),
        pytest.param(1, 10, [(0, True), (10, True), (19, False), (20, True)], id="window-restarts-at-each-attempt"),
        pytest.param(
            3,
            10,
            [(0, True), (5, True), (9, True), (10, True), (11, False), (14, False), (15, True), (16, False)],
            id="slides-one-attempt-at-a-time",
        ),
        pytest.param(
            2,
            10,
            [(0, True), (1, True), (2, False), (5, False), (9, False), (10, True), (11, True), (12, False)],
            id="refused-attempts-do-not-extend-the-block",
        ),
        pytest.param(2, 10, [(0, True), (1, True), (100, True), (100, True), (100, False)], id="long-idle-resets"),
    ],
)
def test_attempts_for_one_key(limit: int, window: float, steps: list[tuple[float, bool]]) -> None:
    clock = FakeClock()
    limiter = limiter_at(clock, limit=limit, window=window)

    assert run(limiter, clock, steps) == [expected for _offset, expected in steps]


def test_an_attempt_just_inside_the_window_is_still_counted() -> None:
    clock = FakeClock(0.0)
    limiter = limiter_at(clock, limit=1, window=10)
    assert limiter.attempt("k")

    clock.now = 9.999
    assert not limiter.attempt("k")
    clock.now = 10.0
    assert limiter.attempt("k")


def test_keys_are_counted_independently() -> None:
    clock = FakeClock()
    limiter = limiter_at(clock, limit=2, window=60)

    assert [limiter.attempt("203.0.113.1") for _ in range(3)] == [True, True, False]
    assert [limiter.attempt("203.0.113.2") for _ in range(3)] == [True, True, False]
    assert [limiter.attempt(("203.0.113.1", 7)) for _ in range(3)] == [True, True, False]
    assert not limiter.attempt("203.0.113.1")
    assert len(limiter) == 3


def test_the_least_recently_used_key_is_forgotten_beyond_max_keys() -> None:
    clock = FakeClock()
    limiter = limiter_at(clock, limit=1, window=60, max_keys=2)

    assert limiter.attempt("a")
    assert limiter.attempt("b")
    assert not limiter.attempt("a")  # refused, but "a" is now the most recently used
    assert limiter.attempt("c")  # a third key: "b" goes
    assert len(limiter) == 2

    assert not limiter.attempt("a")  # still remembered
    assert not limiter.attempt("c")  # still remembered
    assert limiter.attempt("b")  # forgotten, so it starts afresh
    assert len(limiter) == 2


@pytest.mark.parametrize("max_keys", [1, 3, 50])
def test_the_number_of_keys_never_exceeds_max_keys(max_keys: int) -> None:
    clock = FakeClock()
    limiter = limiter_at(clock, limit=1, window=60, max_keys=max_keys)

    for index in range(500):
        clock.now += 0.01
        assert limiter.attempt(f"client-{index}")
        assert len(limiter) <= max_keys
    assert len(limiter) == max_keys
    # The newest keys are the ones kept.
    assert not limiter.attempt("client-499")


def test_the_default_clock_is_monotonic_time() -> None:
    limiter = SlidingWindowRateLimiter(1, 60)

    assert limiter.attempt("k")
    assert not limiter.attempt("k")
