"""One-time SMS codes: for logging in, and for a patient's consent to be added to an account.

Codes are stored as keyed hashes, expire, allow a few tries (counted atomically, so parallel
guesses cannot slip past the limit) and a phone receives at most one a minute and a few an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import LoginCode
from portal.clock import Clock
from portal.db.transactions import begin_write
from portal.messaging.services import SmsSender
from portal.settings import LoginSettings
from portal.web.forms import RuleError
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext

LOGIN = "login"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class OneTimeCodes:
    """Sending and checking codes for one purpose at a time (``login``, ``link:<patient>``)."""

    def __init__(
        self,
        session: AsyncSession,
        settings: LoginSettings,
        secret: str,
        sender: SmsSender,
        clock: Clock,
    ) -> None:
        self.session = session
        self.settings = settings
        self.secret = secret.encode()
        self.sender = sender
        self.clock = clock

    def _hash(self, phone: str, purpose: str, code: str) -> str:
        return hmac.new(
            self.secret, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256
        ).hexdigest()

    async def _latest(self, phone: str, purpose: str | None = None) -> LoginCode | None:
        query = select(LoginCode).where(LoginCode.phone == phone)
        if purpose is not None:
            query = query.where(LoginCode.purpose == purpose)
        return await self.session.scalar(query.order_by(LoginCode.created_at.desc()).limit(1))

    async def send(
        self, phone: str, purpose: str, compose: Callable[[str, int], str], address: str | None
    ) -> None:
        """Send a fresh code; ``compose(code, minutes)`` writes the message in the right words.
        Raises RuleError when this phone had a code a moment ago or too many this hour."""
        await begin_write(self.session)
        now = self.clock.now()
        latest = await self._latest(phone)
        if latest is not None:
            wait = (
                self.settings.resend_after_seconds
                - (now - _aware(latest.created_at)).total_seconds()
            )
            if wait > 0:
                await self.session.rollback()
                raise RuleError(
                    ngettext(
                        "A code was just sent. You can ask for a new one in %(num)d second.",
                        "A code was just sent. You can ask for a new one in %(num)d seconds.",
                        int(wait) + 1,
                    ),
                    "phone",
                )
        sent_this_hour = await self.session.scalar(
            select(func.count())
            .select_from(LoginCode)
            .where(LoginCode.phone == phone, LoginCode.created_at > now - timedelta(hours=1))
        )
        if (sent_this_hour or 0) >= self.settings.codes_per_hour:
            await self.session.rollback()
            raise RuleError(
                _("Too many codes were sent to this number. Please try again in an hour."), "phone"
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.session.add(
            LoginCode(
                phone=phone,
                purpose=purpose,
                code_hash=self._hash(phone, purpose, code),
                expires_at=now + timedelta(seconds=self.settings.code_ttl_seconds),
                created_at=now,
                requested_from=address,
            )
        )
        await self.sender.send(
            self.session, phone, compose(code, self.settings.code_ttl_seconds // 60)
        )
        await self.session.commit()

    async def check(self, phone: str, purpose: str, code_text: str) -> None:
        """Accept the code once, or raise RuleError saying what to do. On success the code is
        used up inside the open write transaction: the caller commits with what it unlocks."""
        code = re.sub(r"\s", "", code_text or "")
        if not re.fullmatch(r"\d{6}", code):
            raise RuleError(
                _("The code has 6 digits. Please type the 6 digits from the text message."), "code"
            )
        await begin_write(self.session)
        now = self.clock.now()
        latest = await self._latest(phone, purpose)
        if latest is None or latest.used or _aware(latest.expires_at) <= now:
            await self.session.rollback()
            raise RuleError(_("This code has expired. Please ask for a new code."), "code")
        # Count the try before comparing, in one conditional update: parallel guesses cannot
        # all slip in under the limit.
        attempts = await self.session.scalar(
            update(LoginCode)
            .where(
                LoginCode.id == latest.id,
                LoginCode.used.is_(False),
                LoginCode.attempts < self.settings.code_max_attempts,
            )
            .values(attempts=LoginCode.attempts + 1)
            .returning(LoginCode.attempts)
        )
        if attempts is None:
            await self.session.commit()
            raise RuleError(_("Too many wrong tries. Please ask for a new code."), "code")
        if not hmac.compare_digest(latest.code_hash, self._hash(phone, purpose, code)):
            await self.session.commit()
            left = self.settings.code_max_attempts - attempts
            if left <= 0:
                raise RuleError(_("Too many wrong tries. Please ask for a new code."), "code")
            raise RuleError(
                ngettext(
                    "That code is not right. You can try %(num)d more time.",
                    "That code is not right. You can try %(num)d more times.",
                    left,
                ),
                "code",
            )
        used = await self.session.execute(
            update(LoginCode)
            .where(LoginCode.id == latest.id, LoginCode.used.is_(False))
            .values(used=True)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            await self.session.rollback()
            raise RuleError(_("This code has expired. Please ask for a new code."), "code")
