"""Logging in: a phone number and a one-time SMS code (see OneTimeCodes for the limits)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.codes import LOGIN, OneTimeCodes
from portal.accounts.models import Account
from portal.accounts.phones import checked_phone
from portal.core.clock import Clock
from portal.core.i18n import gettext as _
from portal.messaging.services import SmsSender
from portal.settings import LoginSettings


class LoginService:
    """Phone + one-time SMS code; the first successful code creates the account."""

    def __init__(
        self,
        session: AsyncSession,
        settings: LoginSettings,
        secret: str,
        sender: SmsSender,
        clock: Clock,
    ) -> None:
        self.session = session
        self.clock = clock
        self.codes = OneTimeCodes(session, settings, secret, sender, clock)

    async def request_code(self, phone_text: str, address: str | None) -> str:
        """Send a login code; returns the normalized phone. Raises RuleError when not allowed."""
        phone = checked_phone(phone_text)
        await self.codes.send(
            phone,
            LOGIN,
            lambda code, minutes: _(
                "[Yimatong] Your login code is %(code)s. It works for %(minutes)d minutes. Never tell it to anyone.",
                code=code,
                minutes=minutes,
            ),
            address,
        )
        return phone

    async def verify_code(
        self, phone: str, code_text: str, *, mode: str | None = None, locale: str | None = None
    ) -> Account:
        """Check a code; on success return the (possibly new) account.

        The display mode and language chosen before logging in are kept on an account that has
        none yet (a returning account keeps its own)."""
        await self.codes.check(phone, LOGIN, code_text)
        account = await self.session.scalar(select(Account).where(Account.phone == phone))
        if account is None:
            account = Account(phone=phone)
            self.session.add(account)
        account.last_login_at = self.clock.now()
        account.display_mode = account.display_mode or mode
        account.locale = account.locale or locale
        await self.session.commit()
        return account
