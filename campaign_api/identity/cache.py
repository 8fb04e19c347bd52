"""A per-process cache of resolved sessions: at most one provider call per token per cache lifetime.

- Keyed by a hash of the credential, so the cache holds no usable secret.
- An entry lives ``lifetime_seconds`` (the revocation window: a session revoked at the provider may still be served
  that long) and never past the session's own ``expires_at``.
- Bounded: the least recently used entry goes first.
- Concurrent requests with the same uncached credential share one provider call.
- Failures are not cached: an unknown token asks again next time.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from campaign_api.identity.credentials import Credentials
from campaign_api.identity.viewer import Viewer


@dataclass(frozen=True, slots=True)
class _Entry:
    viewer: Viewer
    valid_until: float  # on the monotonic clock


def cache_key(credentials: Credentials) -> str:
    return hashlib.sha256(f"{credentials.kind}:{credentials.value}".encode()).hexdigest()


class SessionCache:
    def __init__(
        self,
        lifetime_seconds: float,
        max_entries: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.lifetime_seconds = lifetime_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._now = now
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._in_flight: dict[str, asyncio.Task[Viewer]] = {}

    async def get_or_resolve(self, credentials: Credentials, resolve: Callable[[], Awaitable[Viewer]]) -> Viewer:
        key = cache_key(credentials)
        entry = self._entries.get(key)
        if entry is not None:
            if entry.valid_until > self._clock():
                self._entries.move_to_end(key)
                return entry.viewer
            del self._entries[key]
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.ensure_future(resolve())
            self._in_flight[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        # Shielded: one waiter giving up (a client that disconnects) does not cancel the call for the others.
        return await asyncio.shield(task)

    def _settle(self, key: str, task: asyncio.Task[Viewer]) -> None:
        self._in_flight.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return
        self._store(key, task.result())

    def _store(self, key: str, viewer: Viewer) -> None:
        lifetime = self.lifetime_seconds
        if viewer.session_expires_at is not None:
            lifetime = min(lifetime, (viewer.session_expires_at - self._now()).total_seconds())
        if lifetime <= 0:
            return
        self._entries[key] = _Entry(viewer, self._clock() + lifetime)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
