"""Queue events through Litestar Channels: in memory for one process, Redis for several, so a
call made on one app process reaches the phones and boards served by another."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

WAITING_CHANNEL = "waiting"
"""Every queue's events, for the public waiting-times page: numbers, masked names, counts."""
FOLLOWER_CHANNEL = "queue-follower"
"""Every queue's events with the checked-in patient's id, for the app processes' own followers
(portal.queue.tasks) only: never relayed to a browser."""
PRIVATE_FIELDS = ("patient",)


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
    """Tell every board and phone following this queue (and the public waiting page).

    Boards and the waiting page are public streams: they get the event without the patient's
    id (a stable id would let anyone follow where a patient goes, and when). The app's own
    followers get it whole, on a channel no route relays."""
    if channels is None:
        return
    whole = {"queue": str(queue_id), **event}
    public = {k: v for k, v in whole.items() if k not in PRIVATE_FIELDS}
    channels.publish(json.dumps(whole, ensure_ascii=False), channels=[FOLLOWER_CHANNEL])
    channels.publish(
        json.dumps(public, ensure_ascii=False), channels=[queue_channel(queue_id), WAITING_CHANNEL]
    )


class ChannelAnnouncer:
    """The queue services' announcer (``portal.queue.services.Announcer``) in the app: events
    go out through the channels plugin (none: they go nowhere)."""

    def __init__(self, channels: ChannelsPlugin | None) -> None:
        self.channels = channels

    def publish(self, queue_id: UUID, event: Mapping[str, object]) -> None:
        publish(self.channels, queue_id, dict(event))
