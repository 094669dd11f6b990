"""The account itself: who logs in, the preferences that follow them from phone to phone, and
the lock that makes one account's limits hold under concurrent requests."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Account
from portal.db.generations import KEEP_NOTHING, ReadCache
from portal.db.transactions import begin_write


async def lock_account(session: AsyncSession, account_id: UUID) -> None:
    """Hold the account's row until this transaction ends, so one account's limits (five family
    members, five bookings) are counted one request after the other: a row lock on PostgreSQL;
    on SQLite the write lock ``begin_write`` took already serialises writers. Call it right after
    ``begin_write``."""
    await session.execute(select(Account.id).where(Account.id == account_id).with_for_update())


class AccountService:
    """Reads of the account and the preferences it keeps."""

    def __init__(self, session: AsyncSession, cache: ReadCache | None = None) -> None:
        self.session = session
        self.cache = cache or KEEP_NOTHING

    async def account(self, account_id: UUID) -> Account | None:
        return await self.session.get(Account, account_id)

    async def elder_offer_answered(self, account_id: UUID) -> bool:
        """Whether the account has answered the offer of elder mode (an account that no longer
        exists has nothing to be offered). Kept between pages while no account has changed."""

        async def read() -> bool:
            answered = await self.session.scalar(
                select(Account.elder_offer_answered).where(Account.id == account_id)
            )
            return answered is None or bool(answered)

        return await self.cache.get(
            ("elder-offer-answered", account_id), (Account.__tablename__,), read, self.session
        )

    async def phone_of(self, account_id: UUID) -> str:
        """The number the account logs in with (it exists: the id comes from the login)."""
        return (await self.session.get_one(Account, account_id)).phone

    async def save_preferences(
        self,
        account_id: UUID,
        *,
        mode: str | None = None,
        locale: str | None = None,
        elder_offer_answered: bool | None = None,
    ) -> None:
        await begin_write(self.session)
        account = await self.session.get(Account, account_id)
        if account is None:
            await self.session.rollback()
            return
        if mode is not None:
            account.display_mode = mode
        if locale is not None:
            account.locale = locale
        if elder_offer_answered is not None:
            account.elder_offer_answered = elder_offer_answered
        await self.session.commit()
