"""API clients: hospital systems and scanners, each with a bearer token stored only as its
SHA-256 hash and the scopes it may use."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.api.models import ApiClient
from portal.core.actor import Actor


@dataclass(frozen=True)
class ApiCaller:
    """The client that sent a request, as plain values (what other features see of it)."""

    id: UUID
    name: str
    scopes: frozenset[str]

    def allows(self, *scopes: str) -> bool:
        """True when the client holds any of these scopes (``scan:lab``, ``scan:*``)."""
        return not self.scopes.isdisjoint(scopes)

    def actor(self, address: str | None) -> Actor:
        """The client as the audit log names who acted."""
        return Actor(kind="api", id=str(self.id), name=self.name, address=address)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "ymt_" + secrets.token_urlsafe(32)


async def create_client(
    session: AsyncSession, name: str, scopes: list[str], token: str | None = None
) -> str:
    """Register a caller; returns its token (shown once, stored only hashed)."""
    token = token or new_token()
    session.add(
        ApiClient(name=name, token_hash=hash_token(token), scopes_csv=",".join(sorted(set(scopes))))
    )
    await session.commit()
    return token


async def active_client(session: AsyncSession, token: str) -> ApiCaller | None:
    """The active client whose token this is; None for an unknown or retired token."""
    client = await session.scalar(
        select(ApiClient).where(ApiClient.token_hash == hash_token(token))
    )
    if client is None or not client.active:
        return None
    return ApiCaller(id=client.id, name=client.name, scopes=frozenset(client.scopes))
