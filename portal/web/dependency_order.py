"""A handler's dependencies resolved one after another, not in a task group.

Litestar resolves the independent dependencies of a handler concurrently, in an anyio task group
(a task per dependency). Ours are constructors and short lookups that never wait on each other
in a way concurrency would help: on one database session they cannot even run at the same time.
A py-spy profile of a logged-in page put the task group itself (creating tasks, naming them) at
7 % of the page. Resolving each batch in order keeps every other behaviour: sub-dependencies
come first, generator dependencies are cleaned up after the response.

This replaces one method of Litestar's ``KwargsModel`` (pinned by uv.lock);
``tests/unit/web/test_web_dependency_order.py`` fails if a Litestar upgrade moves it.
"""

from __future__ import annotations

from typing import Any

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel


async def _resolve_in_order(
    self: KwargsModel, connection: Any, kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_dependencies_in_order() -> None:
    """Install the in-order resolution (idempotent; create_app calls it)."""
    KwargsModel.resolve_dependencies = _resolve_in_order  # type: ignore[method-assign]
