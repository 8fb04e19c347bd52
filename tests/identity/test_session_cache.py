"""SessionCache on its own, with an injected clock: how long an entry lives, how many there are, and how concurrent
requests for one credential share one provider call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from campaign_api.errors import IdentityServiceUnavailable
from campaign_api.identity.cache import SessionCache, cache_key
from campaign_api.identity.credentials import CredentialKind, Credentials
from campaign_api.identity.provider import InvalidSession
from campaign_api.identity.viewer import Viewer


class Clock:
    """The monotonic clock and the wall clock, moved together by the test."""

    def __init__(self) -> None:
        self.monotonic = 1_000.0
        self.wall = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    def advance(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += timedelta(seconds=seconds)

    def clock(self) -> float:
        return self.monotonic

    def now(self) -> datetime:
        return self.wall


class Provider:
    """Counts calls; answers ``viewer``, or raises ``error``; waits for ``gate`` when one is set."""

    def __init__(self, viewer: Viewer | None = None, error: Exception | None = None) -> None:
        self.viewer = viewer or Viewer(identity_id="identity-1")
        self.error = error
        self.calls = 0
        self.finished = 0
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> Viewer:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        self.finished += 1
        if self.error is not None:
            raise self.error
        return self.viewer


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_cache(clock: Clock, lifetime: float = 60.0, max_entries: int = 100) -> SessionCache:
    return SessionCache(lifetime, max_entries, clock=clock.clock, now=clock.now)


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until ``condition`` holds (a few loop turns; no wall-clock waiting)."""
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


def token(value: str = "ory_st_one") -> Credentials:
    return Credentials(CredentialKind.SESSION_TOKEN, value)


async def test_an_entry_lives_for_the_cache_lifetime(clock: Clock) -> None:
    cache, provider = make_cache(clock, lifetime=60), Provider()

    assert await cache.get_or_resolve(token(), provider) == provider.viewer
    clock.advance(59.9)
    assert await cache.get_or_resolve(token(), provider) == provider.viewer
    assert provider.calls == 1

    clock.advance(0.2)
    await cache.get_or_resolve(token(), provider)
    assert provider.calls == 2


async def test_an_entry_never_outlives_the_session(clock: Clock) -> None:
    viewer = Viewer(identity_id="identity-1", session_expires_at=clock.wall + timedelta(seconds=5))
    cache, provider = make_cache(clock, lifetime=60), Provider(viewer)

    await cache.get_or_resolve(token(), provider)
    clock.advance(4.9)
    await cache.get_or_resolve(token(), provider)
    assert provider.calls == 1

    clock.advance(0.2)
    await cache.get_or_resolve(token(), provider)
    assert provider.calls == 2


async def test_a_session_that_has_already_ended_is_not_cached(clock: Clock) -> None:
    viewer = Viewer(identity_id="identity-1", session_expires_at=clock.wall - timedelta(seconds=1))
    cache, provider = make_cache(clock), Provider(viewer)

    await cache.get_or_resolve(token(), provider)
    await cache.get_or_resolve(token(), provider)

    assert provider.calls == 2
    assert len(cache) == 0


async def test_the_least_recently_used_entry_goes_first(clock: Clock) -> None:
    cache, provider = make_cache(clock, max_entries=2), Provider()

    await cache.get_or_resolve(token("a"), provider)
    await cache.get_or_resolve(token("b"), provider)
    await cache.get_or_resolve(token("a"), provider)  # a hit: "a" is now the most recently used
    await cache.get_or_resolve(token("c"), provider)  # evicts "b"
    assert (provider.calls, len(cache)) == (3, 2)

    await cache.get_or_resolve(token("a"), provider)
    await cache.get_or_resolve(token("c"), provider)
    assert provider.calls == 3

    await cache.get_or_resolve(token("b"), provider)
    assert provider.calls == 4
    assert len(cache) == 2


@pytest.mark.parametrize("error", [InvalidSession("no such session"), IdentityServiceUnavailable()])
async def test_failures_are_not_cached(clock: Clock, error: Exception) -> None:
    cache, provider = make_cache(clock), Provider(error=error)

    for _ in range(3):
        with pytest.raises(type(error)):
            await cache.get_or_resolve(token(), provider)

    assert provider.calls == 3
    assert len(cache) == 0


async def test_concurrent_waiters_share_one_call(clock: Clock) -> None:
    cache, provider = make_cache(clock), Provider()
    provider.gate = asyncio.Event()

    waiters = [asyncio.create_task(cache.get_or_resolve(token(), provider)) for _ in range(50)]
    await until(lambda: provider.calls > 0)
    for _ in range(5):
        await asyncio.sleep(0)
    assert provider.calls == 1
    provider.gate.set()
    viewers = await asyncio.gather(*waiters)

    assert viewers == [provider.viewer] * 50
    assert provider.calls == 1
    await cache.get_or_resolve(token(), provider)
    assert provider.calls == 1


async def test_concurrent_waiters_share_one_failure_and_it_is_not_kept(clock: Clock) -> None:
    cache, provider = make_cache(clock), Provider(error=InvalidSession("no such session"))
    provider.gate = asyncio.Event()

    waiters = [asyncio.create_task(cache.get_or_resolve(token(), provider)) for _ in range(10)]
    await until(lambda: provider.calls > 0)
    provider.gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)

    assert all(isinstance(result, InvalidSession) for result in results)
    assert provider.calls == 1
    with pytest.raises(InvalidSession):
        await cache.get_or_resolve(token(), provider)
    assert provider.calls == 2


async def test_different_credentials_do_not_share_a_call(clock: Clock) -> None:
    cache, provider = make_cache(clock), Provider()

    await cache.get_or_resolve(token("same-value"), provider)
    await cache.get_or_resolve(Credentials(CredentialKind.COOKIE, "same-value"), provider)
    await cache.get_or_resolve(token("other-value"), provider)

    assert provider.calls == 3


async def test_a_cancelled_waiter_does_not_cancel_the_call_for_the_others(clock: Clock) -> None:
    cache, provider = make_cache(clock), Provider()
    provider.gate = asyncio.Event()

    first = asyncio.create_task(cache.get_or_resolve(token(), provider))
    second = asyncio.create_task(cache.get_or_resolve(token(), provider))
    await until(lambda: provider.calls > 0)
    first.cancel()  # the client that started the call disconnects
    await asyncio.sleep(0)
    assert not second.done()

    provider.gate.set()
    assert await second == provider.viewer
    with pytest.raises(asyncio.CancelledError):
        await first
    assert (provider.calls, provider.finished) == (1, 1)


async def test_a_call_whose_only_waiter_gave_up_still_fills_the_cache(clock: Clock) -> None:
    cache, provider = make_cache(clock), Provider()
    provider.gate = asyncio.Event()

    only = asyncio.create_task(cache.get_or_resolve(token(), provider))
    await until(lambda: provider.calls > 0)
    only.cancel()
    with pytest.raises(asyncio.CancelledError):
        await only
    provider.gate.set()
    await until(lambda: len(cache) == 1)

    assert provider.finished == 1
    assert await cache.get_or_resolve(token(), provider) == provider.viewer
    assert provider.calls == 1


def test_the_key_holds_no_usable_secret() -> None:
    secret = "ory_st_a-secret-session-token"
    key = cache_key(token(secret))

    assert secret not in key
    assert key != cache_key(Credentials(CredentialKind.COOKIE, secret))
