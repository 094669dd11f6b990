"""Demo data that makes the portal look like a real hospital's. Runs once; later runs keep data."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.idnumber import make_id_number
from portal.accounts.models import Account
from portal.accounts.services import PatientService
from portal.booking.seed import seed_booking
from portal.clock import Clock
from portal.db.base import load_models
from portal.db.engine import create_engine
from portal.settings import Settings
from portal.staff.seed import seed_staff

logger = logging.getLogger("portal.seed")

DEMO_PHONE = "13800138000"
DEMO_ELDER_PHONE = "13900139000"

# (name, region, birth date, sequence (odd = male), phone, relationship)
DEMO_FAMILY = [
    ("李静", "110105", date(1976, 5, 12), 42, "13800138000", "self"),
    ("王秀英", "110105", date(1944, 3, 15), 28, "13911112222", "parent"),
    ("李建国", "110105", date(1947, 9, 2), 17, "13911113333", "parent"),
]
DEMO_ELDER = ("陈德明", "120101", date(1958, 1, 20), 31, DEMO_ELDER_PHONE, "self")


async def seed_accounts(session: AsyncSession, today: date) -> None:
    """A family account (a daughter managing her parents, one aged 82) and an older patient's own."""
    patients = PatientService(session=session)
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


SEEDERS = [seed_accounts, seed_staff, seed_booking]
"""Each feature appends its seeder; they run in order, once."""


async def seed(settings: Settings, clock: Clock | None = None) -> bool:
    """Fill an empty database with demo data. Returns False when it was already seeded."""
    load_models()
    clock = clock or Clock(settings.i18n.zone)
    engine = create_engine(settings.db)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            if (
                await session.scalar(select(Account.id).where(Account.phone == DEMO_PHONE))
                is not None
            ):
                logger.info("demo data already present; keeping it")
                return False
            for seeder in SEEDERS:
                await seeder(session, clock.today())
            await session.commit()
            logger.info("demo data created")
            return True
    finally:
        await engine.dispose()
