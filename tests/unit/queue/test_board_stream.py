"""The board's and the waiting page's event streams relay every event, not only the first."""

from __future__ import annotations

import asyncio
import json

from portal.queue.controllers.board import _events
from portal.queue.events import build_channels, publish, queue_channel
from tests.support.aio import run


def test_a_board_stream_relays_each_call_of_the_morning() -> None:
    async def listen() -> list[dict[str, object]]:
        channels = build_channels(None)  # in memory, as one app process has them
        async with channels:
            stream = _events(channels, queue_channel("q1"))
            ready = await anext(stream)
            assert ready.event == "ready"
            heard = []
            for version in (1, 2, 3):
                publish(
                    channels,
                    "q1",
                    {"kind": "called", "version": version, "number": f"A00{version}"},
                )
                message = await asyncio.wait_for(anext(stream), timeout=5)
                heard.append(json.loads(str(message.data)))
            await stream.aclose()
            return heard

    heard = run(listen())
    assert [event["number"] for event in heard] == ["A001", "A002", "A003"]
