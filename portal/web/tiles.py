"""Home-page tiles. Each feature declares the services it offers; the home page shows only those."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GROUPS = ("visit", "payments_reports", "health", "me")


@dataclass(frozen=True)
class Tile:
    """One service on the home page.

    ``route`` names the page it opens (the home pages link it with ``url_for``); ``href`` is the
    older spelling, a path typed out, for tiles not yet moved to a route name. ``group`` places
    it on the standard home (就诊, 缴费与报告, 健康, 我的); ``elder_rank`` orders the big tiles of the
    elder home (None keeps it off that page); ``rank`` orders it in its group.
    """

    key: str
    label: Any  # a lazy translation
    hint: Any
    icon: str
    group: str
    route: str = ""
    href: str = ""
    rank: int = 50
    elder_rank: int | None = None
    needs_login: bool = False

    def __post_init__(self) -> None:
        if bool(self.route) == bool(self.href):
            raise ValueError(f"the home tile {self.key!r} needs a route name (or else an href)")


class HomeTiles:
    """Every feature's tiles, as the home pages show them (app.py builds it once)."""

    def __init__(self, tiles: Iterable[Tile]) -> None:
        self.tiles: dict[str, Tile] = {}
        for tile in tiles:
            if tile.group not in GROUPS:
                raise ValueError(f"unknown home group {tile.group!r}")
            if tile.key in self.tiles:
                raise ValueError(f"two features offer the home tile {tile.key!r}")
            self.tiles[tile.key] = tile
        self._sort()

    def grouped(self) -> list[tuple[str, list[Tile]]]:
        """Non-empty groups in the order patients think of them (sorted once)."""
        return self._grouped

    def for_elders(self) -> list[Tile]:
        return self._for_elders

    def _sort(self) -> None:
        groups = []
        for group in GROUPS:
            members = sorted(
                (t for t in self.tiles.values() if t.group == group), key=lambda t: (t.rank, t.key)
            )
            if members:
                groups.append((group, members))
        self._grouped = groups
        ranked = [t for t in self.tiles.values() if t.elder_rank is not None]
        self._for_elders = sorted(ranked, key=lambda t: (t.elder_rank, t.key))
