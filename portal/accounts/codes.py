"""One-time SMS codes: for logging in, and for a patient's consent to be added to an account.

Codes are stored as keyed hashes, expire, allow a few tries (counted atomically, so parallel
guesses cannot slip past the limit) and a phone receives at most one a minute and a few an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
import unicodedata
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import LoginCode
from portal.core.clock import Clock, aware
from portal.core.errors import RuleError
from portal.core.i18n import gettext as _
from portal.core.i18n import ngettext
from portal.core.masking import mask_phone
from portal.db.transactions import begin_write, lock_key
from portal.messaging.services import SmsSender
from portal.settings import LoginSettings

LOGIN = "login"
logger = logging.getLogger("portal.accounts")


class CodeNotSent(RuleError):
    """The SMS gateway did not take the message; nothing was counted against the phone."""


class CodeTooSoon(RuleError):
    """This phone was sent a code a moment ago: the page that asks for it can be shown."""


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

        Raises RuleError when this phone had a code a moment ago or too many this hour, and
        CodeNotSent when the gateway failed (that code is then forgotten: it does not count
        against the phone's limits). The code is committed first and the text sent after:
        a slow gateway never holds the write lock. The limits are read and the code written
        under a lock on the phone, so concurrent requests cannot all pass them."""
        await begin_write(self.session)
        await lock_key(self.session, f"sms-codes:{phone}")
        now = self.clock.now()
        latest = await self._latest(phone)
        if latest is not None:
            wait = (
                self.settings.resend_after_seconds
                - (now - aware(latest.created_at)).total_seconds()
            )
            if wait > 0:
                await self.session.rollback()
                raise CodeTooSoon(
                    ngettext(
                        "A code was just sent. You can ask for a new one in %(num)d second.",
                        "A code was just sent. You can ask for a new one in %(num)d seconds.",
                        math.ceil(wait),  # 60.0 seconds to wait is 60, 59.2 is 60
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
        row = LoginCode(
            phone=phone,
            purpose=purpose,
            code_hash=self._hash(phone, purpose, code),
            expires_at=now + timedelta(seconds=self.settings.code_ttl_seconds),
            created_at=now,
            requested_from=address,
        )
        self.session.add(row)
        await self.session.commit()
        try:
            await self.sender.send(phone, compose(code, self.settings.code_ttl_seconds // 60))
        except Exception as exc:
            logger.warning(
                "the SMS gateway refused a code for %s", mask_phone(phone), exc_info=True
            )
            await begin_write(self.session)
            await self.session.execute(delete(LoginCode).where(LoginCode.id == row.id))
            await self.session.commit()
            raise CodeNotSent(
                _("We could not send the text message just now. Please try again in a minute."),
                "phone",
            ) from exc

    async def check(self, phone: str, purpose: str, code_text: str) -> None:
        """Accept the code once, or raise RuleError saying what to do. On success the code is
        used up inside the open write transaction: the caller commits with what it unlocks."""
        code = re.sub(r"\s", "", unicodedata.normalize("NFKC", code_text or ""))
        if not re.fullmatch(r"[0-9]{6}", code):
            raise RuleError(
                _("The code has 6 digits. Please type the 6 digits from the text message."), "code"
            )
        await begin_write(self.session)
        now = self.clock.now()
        latest = await self._latest(phone, purpose)
        if latest is None or latest.used or aware(latest.expires_at) <= now:
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
