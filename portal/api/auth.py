"""Bearer-token authentication for /api/v1: tokens are stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.api.models import ApiClient


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


async def authenticate(request: Request[Any, Any, Any], session: AsyncSession) -> ApiClient:
    """The active client whose token is in ``Authorization: Bearer …``; 401 otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("A bearer token is required.")
    client = await session.scalar(
        select(ApiClient).where(ApiClient.token_hash == hash_token(token.strip()))
    )
    if client is None or not client.active:
        raise NotAuthorizedException("The token is not valid.")
    return client
