"""Queue events: public streams carry numbers, masked names and counts, never a patient's id."""

from __future__ import annotations

import json
from typing import Any

from portal.queue.events import FOLLOWER_CHANNEL, WAITING_CHANNEL, publish, queue_channel


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], list[str]]] = []

    def publish(self, data: str, channels: list[str]) -> None:
        self.sent.append((json.loads(data), list(channels)))


def test_a_check_in_reaches_the_public_channels_without_the_patient() -> None:
    channels = Recorder()
    publish(channels, "q1", {"kind": "checked_in", "version": 3, "patient": "p-uuid"})  # type: ignore[arg-type]
    by_channel = {name: event for event, names in channels.sent for name in names}
    assert by_channel[FOLLOWER_CHANNEL] == {
        "queue": "q1",
        "kind": "checked_in",
        "version": 3,
        "patient": "p-uuid",
    }
    for public in (queue_channel("q1"), WAITING_CHANNEL):
        assert by_channel[public] == {"queue": "q1", "kind": "checked_in", "version": 3}


def test_no_route_relays_the_followers_channel() -> None:
    """Only the app's own follower subscribes to it (a board or page relaying it would publish
    patient ids to anyone)."""
    from pathlib import Path

    portal = Path(__file__).resolve().parents[3] / "portal"
    users = [
        path.relative_to(portal).as_posix()
        for path in portal.rglob("*.py")
        if "FOLLOWER_CHANNEL" in path.read_text(encoding="utf-8")
    ]
    assert sorted(users) == ["queue/events.py", "queue/tasks.py"]
