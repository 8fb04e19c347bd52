"""A circuit breaker: after enough consecutive failures, stop calling a dead service for a while.

    CLOSED ──N consecutive failures──▶ OPEN ──cool-down over──▶ HALF_OPEN ──the probe succeeds──▶ CLOSED
                                        ▲                           │
                                        └────the probe fails────────┘

While OPEN, ``allow()`` answers False at once, so a dead permission service costs a caller microseconds instead of
a timeout. HALF_OPEN lets exactly one call through (the probe); everyone else is still refused until it reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum


class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        cool_down_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if cool_down_seconds < 0:
            raise ValueError("cool_down_seconds must not be negative")
        self.failure_threshold = failure_threshold
        self.cool_down_seconds = cool_down_seconds
        self._clock = clock
        self._consecutive_failures = 0
        self._opened_at: float | None = None  # set while open or half-open
        self._probe_started_at: float | None = None  # set while the half-open probe is out

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at < self.cool_down_seconds:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def allow(self) -> bool:
        """May a call go out now? In HALF_OPEN, True for the one probe; the caller must then report on it."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.OPEN:
            return False
        now = self._clock()
        # A probe that never reported (its caller vanished) must not keep the breaker half-open for ever.
        if self._probe_started_at is not None and now - self._probe_started_at < self.cool_down_seconds:
            return False
        self._probe_started_at = now
        return True

    def record_success(self) -> None:
        self._consecutive_failures = 0
        self._opened_at = None
        self._probe_started_at = None

    def record_failure(self) -> None:
        self._consecutive_failures += 1
        if self._opened_at is not None or self._consecutive_failures >= self.failure_threshold:
            # A failed probe (or a failure reported late, from a call that began before the breaker opened)
            # starts a fresh cool-down.
            self._opened_at = self._clock()
            self._probe_started_at = None

    def abandon(self) -> None:
        """The call was cancelled before it learnt anything about the service: free the probe slot, judge nothing."""
        self._probe_started_at = None
