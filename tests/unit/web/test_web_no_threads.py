"""Nothing a request needs is handed to a worker thread: Litestar runs a plain-function guard or
dependency in a thread pool (a hand-off and a fight for the GIL on every page), unless the
function is async or its ``Provide`` says ``sync_to_thread=False``."""

from __future__ import annotations

import inspect
from pathlib import Path

from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler

from portal.app import create_app
from tests.conftest import make_settings


def _route_handlers(tmp_path: Path) -> list[HTTPRouteHandler]:
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"))
    return [
        handler
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if isinstance(handler, HTTPRouteHandler)
    ]


def test_every_guard_runs_in_the_event_loop(tmp_path: Path) -> None:
    handlers = _route_handlers(tmp_path)
    assert len(handlers) > 50
    in_threads = sorted(
        {
            f"{guard.__module__}.{guard.__qualname__}"
            for handler in handlers
            for guard in handler.resolve_guards()
            if not inspect.iscoroutinefunction(guard)
        }
    )
    assert in_threads == []


def test_every_dependency_runs_in_the_event_loop(tmp_path: Path) -> None:
    in_threads = sorted(
        {
            f"{name} ({provider.dependency})"
            for handler in _route_handlers(tmp_path)
            for name, provider in handler.resolve_dependencies().items()
            if isinstance(provider, Provide)
            and provider.sync_to_thread
            and not inspect.iscoroutinefunction(provider.dependency)
            and not inspect.isasyncgenfunction(provider.dependency)
        }
    )
    assert in_threads == []
