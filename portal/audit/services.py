"""Writing and reading the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.audit.models import AuditEvent
from portal.core.actor import Actor


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    outcome: str,
    *,
    touchpoint: str | None = None,
    patient_id: UUID | None = None,
    card_number: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one event to the session; the caller's transaction commits it with the action itself."""
    event = AuditEvent(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        touchpoint=touchpoint,
        patient_id=patient_id,
        card_number=card_number,
        outcome=outcome,
        detail=detail,
        address=actor.address,
    )
    if at is not None:
        event.created_at = at
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    touchpoint: str | None = None
    outcome: str | None = None
    action: str | None = None
    actor: str | None = None
    card_number: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def search(session: AsyncSession, wanted: AuditFilter, limit: int = 200) -> list[AuditEvent]:
    """The newest events that match every filter given."""
    query = select(AuditEvent)
    if wanted.touchpoint:
        query = query.where(AuditEvent.touchpoint == wanted.touchpoint)
    if wanted.outcome:
        query = query.where(AuditEvent.outcome == wanted.outcome)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.actor:
        query = query.where(AuditEvent.actor_name.contains(wanted.actor))
    if wanted.card_number:
        query = query.where(AuditEvent.card_number == wanted.card_number)
    if wanted.since:
        query = query.where(AuditEvent.created_at >= wanted.since)
    if wanted.until:
        query = query.where(AuditEvent.created_at < wanted.until)
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())
