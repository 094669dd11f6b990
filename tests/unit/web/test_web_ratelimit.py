"""Fixed-window rate limits: exact counts per window, in memory and in Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from portal.web.ratelimit import MemoryRateLimiter, RedisRateLimiter
from tests.conftest import StillClock
from tests.support import aio
from tests.support.databases import redis_url


async def _hits(limiter: object, key: str, limit: int, window: int, times: int) -> list[bool]:
    return [await limiter.hit(key, limit, window) for _ in range(times)]  # type: ignore[attr-defined]


def test_memory_allows_exactly_the_limit_in_a_window(limiter_clock: StillClock) -> None:
    limiter = MemoryRateLimiter()
    results = aio.run(_hits(limiter, "code:1.2.3.4", 3, 60, 6))
    assert results == [True, True, True, False, False, False]


def test_memory_starts_counting_again_in_the_next_window(limiter_clock: StillClock) -> None:
    limiter = MemoryRateLimiter()
    assert aio.run(_hits(limiter, "login:a", 2, 60, 3)) == [True, True, False]
    limiter_clock.at += 39  # still the same minute
    assert aio.run(_hits(limiter, "login:a", 2, 60, 1)) == [False]
    limiter_clock.at += 1  # the next minute begins
    assert aio.run(_hits(limiter, "login:a", 2, 60, 3)) == [True, True, False]


def test_memory_counts_each_key_on_its_own(limiter_clock: StillClock) -> None:
    limiter = MemoryRateLimiter()
    assert aio.run(_hits(limiter, "code:10.0.0.1", 1, 3600, 2)) == [True, False]
    assert aio.run(_hits(limiter, "code:10.0.0.2", 1, 3600, 1)) == [True]
    assert aio.run(_hits(limiter, "login:10.0.0.1", 1, 3600, 1)) == [True]


def test_memory_is_exact_under_concurrent_requests(limiter_clock: StillClock) -> None:
    limiter = MemoryRateLimiter()

    async def burst() -> list[bool]:
        return list(await asyncio.gather(*(limiter.hit("k", 10, 60) for _ in range(50))))

    assert sum(aio.run(burst())) == 10


def test_memory_forgets_old_windows_instead_of_growing_without_bound(
    limiter_clock: StillClock,
) -> None:
    limiter = MemoryRateLimiter()

    async def fill() -> None:
        for n in range(100_001):
            await limiter.hit(f"old:{n}", 5, 60)
        limiter_clock.at += 60
        await limiter.hit("new", 5, 60)

    aio.run(fill())
    assert len(limiter._counts) == 1


# -- Redis ----------------------------------------------------------------------------------

requires_redis = pytest.mark.skipif(
    redis_url() is None, reason="Redis: PORTAL_TEST_REDIS_URL is not set"
)


async def _with_redis(work):  # type: ignore[no-untyped-def]
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url())
    prefix = f"ymt:test:{uuid.uuid4().hex}:"
    try:
        return await work(RedisRateLimiter(client, prefix=prefix), client, prefix)
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.mark.redis
@requires_redis
def test_redis_allows_exactly_the_limit_in_a_window(limiter_clock: StillClock) -> None:
    async def work(limiter, client, prefix):  # type: ignore[no-untyped-def]
        return await _hits(limiter, "code:1.2.3.4", 3, 60, 5)

    assert aio.run(_with_redis(work)) == [True, True, True, False, False]


@pytest.mark.redis
@requires_redis
def test_redis_starts_counting_again_in_the_next_window(limiter_clock: StillClock) -> None:
    async def work(limiter, client, prefix):  # type: ignore[no-untyped-def]
        first = await _hits(limiter, "login:a", 2, 60, 3)
        limiter_clock.at += 40
        second = await _hits(limiter, "login:a", 2, 60, 3)
        return first, second

    first, second = aio.run(_with_redis(work))
    assert first == [True, True, False]
    assert second == [True, True, False]


@pytest.mark.redis
@requires_redis
def test_redis_counters_expire_after_their_window(limiter_clock: StillClock) -> None:
    async def work(limiter, client, prefix):  # type: ignore[no-untyped-def]
        await limiter.hit("code:x", 5, 60)
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        return [await client.ttl(key) for key in keys]

    ttls = aio.run(_with_redis(work))
    assert len(ttls) == 1
    assert 0 < ttls[0] <= 61


@pytest.mark.redis
@requires_redis
def test_redis_is_exact_across_many_concurrent_callers(limiter_clock: StillClock) -> None:
    async def work(limiter, client, prefix):  # type: ignore[no-untyped-def]
        other = RedisRateLimiter(client, prefix=prefix)  # a second app process
        calls = [(limiter if n % 2 else other).hit("k", 10, 60) for n in range(50)]
        return list(await asyncio.gather(*calls))

    assert sum(aio.run(_with_redis(work))) == 10
