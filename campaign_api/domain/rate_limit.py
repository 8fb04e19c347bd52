"""A sliding-window rate limit: at most ``limit`` attempts per key in any ``window`` seconds.

It lives in the process, so with several worker processes each keeps its own count (the effective limit is
limit x workers). Memory is bounded: at most ``max_keys`` keys are kept, the least recently used going first.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable


class SlidingWindowRateLimiter:
    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._attempts: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def attempt(self, key: Hashable) -> bool:
        """Record an attempt for ``key``; False when it is over the limit (refused attempts are not recorded)."""
        now = self._clock()
        attempts = self._attempts.get(key)
        if attempts is None:
            attempts = self._attempts[key] = deque()
            self._evict_beyond_capacity()
        else:
            self._attempts.move_to_end(key)
        while attempts and attempts[0] <= now - self.window_seconds:
            attempts.popleft()
        if len(attempts) >= self.limit:
            return False
        attempts.append(now)
        return True

    def _evict_beyond_capacity(self) -> None:
        while len(self._attempts) > self.max_keys:
            self._attempts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._attempts)
