"""Dependencies resolved in order: same results, sub-dependencies first, generators cleaned up."""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Litestar, get
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.di import NamedDependency, Provide
from litestar.testing import TestClient

from portal.web.dependency_order import _resolve_in_order, resolve_dependencies_in_order


def test_the_in_order_resolution_is_what_litestar_uses() -> None:
    resolve_dependencies_in_order()
    assert KwargsModel.resolve_dependencies is _resolve_in_order


def test_many_dependencies_resolve_in_order_and_clean_up() -> None:
    resolve_dependencies_in_order()
    seen: list[str] = []

    async def base() -> int:
        seen.append("base")
        return 2

    async def double(base: NamedDependency[int]) -> int:
        seen.append("double")
        return base * 2

    def plain() -> str:
        seen.append("plain")
        return "p"

    async def tidy() -> AsyncIterator[str]:
        seen.append("open")
        yield "t"
        seen.append("closed")

    @get(
        "/",
        dependencies={
            "base": Provide(base),
            "double": Provide(double),
            "plain": Provide(plain, sync_to_thread=False),
            "tidy": Provide(tidy),
        },
    )
    async def handler(
        double: NamedDependency[int], plain: NamedDependency[str], tidy: NamedDependency[str]
    ) -> str:
        return f"{double}{plain}{tidy}"

    with TestClient(Litestar([handler])) as client:
        assert client.get("/").text == "4pt"
    assert seen.index("base") < seen.index("double")
    assert seen[-1] == "closed"
