"""Background work while the app serves: one coroutine run every few seconds, started with the
app and stopped with it. A round that fails is logged and the next one runs as planned."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable


async def _rounds(
    seconds: float, work: Callable[[], Awaitable[object]], logger: logging.Logger
) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:  # keep going: the next round may well succeed
            logger.exception("%s failed", getattr(work, "__name__", "a background round"))


@contextlib.asynccontextmanager
async def every(
    seconds: float, work: Callable[[], Awaitable[object]], *, name: str, logger: logging.Logger
) -> AsyncIterator[None]:
    """Run ``work()`` every ``seconds`` while the block runs (0 or less: never)."""
    if seconds <= 0:
        yield
        return
    task = asyncio.create_task(_rounds(seconds, work, logger), name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
