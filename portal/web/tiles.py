"""Home-page tiles. Each feature registers the services it offers; the home page shows only those."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GROUPS = ("visit", "payments_reports", "health", "me")


@dataclass(frozen=True)
class Tile:
    """One service on the home page.

    ``group`` places it on the standard home (就诊, 缴费与报告, 健康, 我的); ``elder_rank`` orders the
    big tiles of the elder home (None keeps it off that page); ``rank`` orders it in its group.
    """

    key: str
    label: Any  # a lazy translation
    hint: Any
    href: str
    icon: str
    group: str
    rank: int = 50
    elder_rank: int | None = None
    needs_login: bool = False


_tiles: dict[str, Tile] = {}


def register(*tiles: Tile) -> None:
    for tile in tiles:
        if tile.group not in GROUPS:
            raise ValueError(f"unknown home group {tile.group!r}")
        _tiles[tile.key] = tile


def grouped() -> list[tuple[str, list[Tile]]]:
    """Non-empty groups in the order patients think of them."""
    groups = []
    for group in GROUPS:
        members = sorted(
            (t for t in _tiles.values() if t.group == group), key=lambda t: (t.rank, t.key)
        )
        if members:
            groups.append((group, members))
    return groups


def for_elders() -> list[Tile]:
    ranked = [t for t in _tiles.values() if t.elder_rank is not None]
    return sorted(ranked, key=lambda t: (t.elder_rank, t.key))
