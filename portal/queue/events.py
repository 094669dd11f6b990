"""Queue events through Litestar Channels: in memory for one process, Redis for several, so a
call made on one app process reaches the phones and boards served by another."""

from __future__ import annotations

import json
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

WAITING_CHANNEL = "waiting"


def queue_channel(queue_id: object) -> str:
    return f"queue:{queue_id}"


def build_channels(redis: Any | None) -> ChannelsPlugin:
    """The channels plugin: Redis pub/sub when Redis is configured, memory otherwise."""
    if redis is not None:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend

        backend: Any = RedisChannelsPubSubBackend(redis=redis)
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(
        backend=backend, arbitrary_channels_allowed=True, create_ws_route_handlers=False
    )


def publish(channels: ChannelsPlugin | None, queue_id: object, event: dict[str, Any]) -> None:
    """Tell every board and phone following this queue (and the public waiting page)."""
    if channels is None:
        return
    data = json.dumps({"queue": str(queue_id), **event}, ensure_ascii=False)
    channels.publish(data, channels=[queue_channel(queue_id), WAITING_CHANNEL])
