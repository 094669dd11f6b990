"""Fixed-window rate limits shared by every process (Redis) or held in this process (memory)."""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable


@runtime_checkable  # handlers receive one as a dependency, which Litestar type-checks
class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: int) -> bool:
        """Count one use of ``key``; False when it is over ``limit`` uses in this window."""
        ...


class MemoryRateLimiter:
    """For one process. asyncio runs one coroutine at a time, so the count is exact."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[float, int]] = {}

    async def hit(self, key: str, limit: int, window_seconds: int) -> bool:
        now = time.monotonic()
        window_start = now - now % window_seconds
        started, count = self._counts.get(key, (window_start, 0))
        if started != window_start:
            started, count = window_start, 0
        count += 1
        self._counts[key] = (started, count)
        if len(self._counts) > 100_000:  # forget old windows rather than grow without bound
            self._counts = {k: v for k, v in self._counts.items() if v[0] == window_start}
        return count <= limit


class RedisRateLimiter:
    """INCR and EXPIRE in one round trip: exact across any number of app processes."""

    def __init__(self, redis: object, prefix: str = "ymt:rl:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def hit(self, key: str, limit: int, window_seconds: int) -> bool:
        window = int(time.time() // window_seconds)
        name = f"{self.prefix}{key}:{window}"
        pipe = self.redis.pipeline()  # type: ignore[attr-defined]
        pipe.incr(name)
        pipe.expire(name, window_seconds + 1)
        count, _ = await pipe.execute()
        return int(count) <= limit
