"""API clients: hospital systems and scanners, each with a bearer token stored only as its
SHA-256 hash and the scopes it may use.

Scopes say what a client may do, one operation family each:

- ``timetable:write``: import departments, doctors and sessions (``POST /api/v1/timetable``);
- ``bills:write``: send bills and void their items (the payments import);
- ``fhir:write``: send results and read questionnaire answers as FHIR (the results import);
- ``scan:<touchpoint>`` (``scan:lab``, ``scan:pharmacy`` …) or ``scan:*``: verify a card at a desk.

A client holds only what it needs: the lab's scanner ``scan:lab``, the HIS the imports.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.api.models import ApiClient
from portal.core.actor import Actor
from portal.core.errors import NotFound, RuleError
from portal.core.touchpoints import Touchpoint

TIMETABLE_WRITE = "timetable:write"
BILLS_WRITE = "bills:write"
FHIR_WRITE = "fhir:write"
SCAN_ANY = "scan:*"
IMPORT_SCOPES = (TIMETABLE_WRITE, BILLS_WRITE, FHIR_WRITE)
SCOPES = (*IMPORT_SCOPES, SCAN_ANY, *(f"scan:{t.value}" for t in Touchpoint))
"""Every scope a client may be given, in the order they are listed to people."""

MAX_NAME = 80
MIN_CHOSEN_TOKEN = 16


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


@dataclass(frozen=True)
class ClientSummary:
    """A registered client as an administrator sees it (never its token)."""

    name: str
    scopes: tuple[str, ...]
    active: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "ymt_" + secrets.token_urlsafe(32)


def checked_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes, without repeats and in the listed order; a scope nobody checks (a typo such
    as ``timetable:wrte``, or the retired ``import``) is refused rather than stored."""
    wanted = {s.strip() for s in scopes if s.strip()}
    unknown = sorted(wanted.difference(SCOPES))
    if unknown:
        raise RuleError(
            f"unknown scope {', '.join(unknown)}: a client may hold {', '.join(SCOPES)}",
            field="scope",
        )
    if not wanted:
        raise RuleError("a client needs at least one scope", field="scope")
    return [s for s in SCOPES if s in wanted]


async def create_client(
    session: AsyncSession, name: str, scopes: Iterable[str], token: str | None = None
) -> str:
    """Register a caller in the session's transaction (the caller commits); returns its token,
    shown once and stored only hashed. ``token`` chooses it (the demo's and the test harness's
    published tokens); a real client always gets a new random one."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise RuleError(f"a client's name is 1 to {MAX_NAME} characters", field="name")
    if token is not None and len(token) < MIN_CHOSEN_TOKEN:
        raise RuleError(f"a token is at least {MIN_CHOSEN_TOKEN} characters", field="token")
    listed = checked_scopes(scopes)
    if await session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise RuleError(f"there is already a client named {name}", field="name")
    token = token or new_token()
    session.add(ApiClient(name=name, token_hash=hash_token(token), scopes_csv=",".join(listed)))
    await session.flush()
    return token


async def retire_client(session: AsyncSession, name: str) -> None:
    """The client's token stops working at once (the row stays: the audit log names it)."""
    changed = await session.execute(
        update(ApiClient)
        .where(ApiClient.name == name.strip())
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"there is no client named {name}")


async def list_clients(session: AsyncSession) -> list[ClientSummary]:
    clients = await session.scalars(select(ApiClient).order_by(ApiClient.name))
    return [
        ClientSummary(
            name=c.name, scopes=tuple(s for s in SCOPES if s in c.scopes), active=c.active
        )
        for c in clients
    ]


async def active_client(session: AsyncSession, token: str) -> ApiCaller | None:
    """The active client whose token this is; None for an unknown or retired token."""
    client = await session.scalar(
        select(ApiClient).where(ApiClient.token_hash == hash_token(token))
    )
    if client is None or not client.active:
        return None
    return ApiCaller(id=client.id, name=client.name, scopes=frozenset(client.scopes))


async def active_with_tokens(session: AsyncSession, tokens: Iterable[str]) -> list[str]:
    """The names of active clients whose token is one of these (published ones: the demo's)."""
    hashes = [hash_token(t) for t in tokens]
    names = await session.scalars(
        select(ApiClient.name)
        .where(ApiClient.token_hash.in_(hashes), ApiClient.active.is_(True))
        .order_by(ApiClient.name)
    )
    return list(names)
