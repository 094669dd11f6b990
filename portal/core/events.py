"""Cross-feature reactions, declared where a reader can see them.

A feature that others may want to react to defines its events (frozen dataclasses, e.g.
``accounts.events.PatientAdded``) and emits them from its services through the ``EventBus``.
A feature that reacts names the event and its listener in its declaration (``Feature.listeners``);
``app.py`` builds the bus from every declaration. Listeners run inside the emitter's
transaction, with its session, so the reaction commits or rolls back with the action itself
(a new patient and their first card are one transaction).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Listener = Callable[[AsyncSession, Any], Awaitable[None]]


class EventBus:
    """Who listens to which event; ``emit`` runs them in the order the features were listed."""

    def __init__(self, listeners: Iterable[Mapping[type, Sequence[Listener]]] = ()) -> None:
        self.listeners: dict[type, list[Listener]] = {}
        for declared in listeners:
            for event, functions in declared.items():
                self.listeners.setdefault(event, []).extend(functions)

    async def emit(self, session: AsyncSession, event: object) -> None:
        for listener in self.listeners.get(type(event), ()):
            await listener(session, event)
