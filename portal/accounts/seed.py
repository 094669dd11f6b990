"""The accounts feature's demo data: a daughter managing her parents, an older man on his own."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.idnumber import make_id_number
from portal.accounts.models import Account
from portal.accounts.services import PatientService
from portal.core.events import EventBus

DEMO_PHONE = "13800138000"
DEMO_ELDER_PHONE = "13900139000"

# (name, region, birth date, sequence (odd = male), phone, relationship)
DEMO_FAMILY = [
    ("李静", "110105", date(1976, 5, 12), 42, "13800138000", "self"),
    ("王秀英", "110105", date(1944, 3, 15), 28, "13911112222", "parent"),
    ("李建国", "110105", date(1947, 9, 2), 17, "13911113333", "parent"),
]
DEMO_ELDER = ("陈德明", "120101", date(1958, 1, 20), 31, DEMO_ELDER_PHONE, "self")


async def seed_accounts(session: AsyncSession, today: date, events: EventBus) -> None:
    """A family account (a daughter managing her parents, one aged 82) and an older patient's own."""
    patients = PatientService(session, events)
    for phone, members in ((DEMO_PHONE, DEMO_FAMILY), (DEMO_ELDER_PHONE, [DEMO_ELDER])):
        account = Account(phone=phone)
        session.add(account)
        await session.flush()
        for name, region, born, sequence, member_phone, relationship in members:
            await patients.add_member(
                account.id,
                name=name,
                id_number=make_id_number(region, born, sequence),
                phone=member_phone,
                relationship=relationship,
                today=today,
            )


async def already_seeded(session: AsyncSession) -> bool:
    """The demo family's account exists: the demo data is there."""
    return await session.scalar(select(Account.id).where(Account.phone == DEMO_PHONE)) is not None
