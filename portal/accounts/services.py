"""Account rules: SMS login codes, and the family members an account manages."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.codes import LOGIN, OneTimeCodes
from portal.accounts.idnumber import IdNumber, InvalidIdNumber, age_on, parse_id_number
from portal.accounts.models import Account, AccountPatient, Patient
from portal.clock import Clock
from portal.db.transactions import begin_write
from portal.messaging.services import SmsSender
from portal.settings import LoginSettings
from portal.web.forms import RuleError
from portal.web.i18n import gettext as _

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
RELATIONSHIPS = ("self", "parent", "spouse", "child", "sibling", "other")

PatientAddedHook = Callable[[AsyncSession, Patient], Awaitable[None]]
patient_added_hooks: list[PatientAddedHook] = []
"""Features that give every new patient something (the e-card) register here."""


def normalize_phone(text: str) -> str:
    return re.sub(r"[\s-]", "", text or "").removeprefix("+86")


class LoginService:
    """Phone + one-time SMS code (see OneTimeCodes for the limits)."""

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
        phone = normalize_phone(phone_text)
        if not PHONE_PATTERN.match(phone):
            raise RuleError(
                _("Please enter an 11-digit mobile phone number, for example 13812345678."), "phone"
            )
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


class ConsentNeeded(Exception):
    """The person is already registered with the hospital: they must agree (a code sent to the
    phone the hospital has for them) before another account may manage them."""

    def __init__(self, patient: Patient, relationship: str) -> None:
        super().__init__("consent needed")
        self.patient = patient
        self.relationship = relationship


@dataclass(frozen=True)
class FamilyMember:
    """A patient as one account sees them."""

    patient: Patient
    relationship: str
    link_id: UUID

    @property
    def id(self) -> UUID:
        return self.patient.id

    def age(self, today: date) -> int:
        return age_on(self.patient.birth_date, today)


class PatientRepository(SQLAlchemyAsyncRepository[Patient]):
    model_type = Patient


class PatientService(SQLAlchemyAsyncRepositoryService[Patient]):
    """Family members (就诊人): add, edit, remove, and the account-scoped lookups every feature uses."""

    repository_type = PatientRepository
    max_per_account = 5

    async def family_of(self, account_id: UUID) -> list[FamilyMember]:
        result = await self.repository.session.execute(
            select(AccountPatient)
            .where(AccountPatient.account_id == account_id)
            .order_by(AccountPatient.position, AccountPatient.created_at)
        )
        return [
            FamilyMember(link.patient, link.relationship_kind, link.id) for link in result.scalars()
        ]

    async def member_of(self, account_id: UUID, patient_id: UUID | str) -> FamilyMember:
        """The patient if this account manages them; otherwise 404 (never reveal another's patient)."""
        try:
            wanted = patient_id if isinstance(patient_id, UUID) else UUID(str(patient_id))
        except ValueError as exc:
            raise NotFoundException() from exc
        link = await self.repository.session.scalar(
            select(AccountPatient).where(
                AccountPatient.account_id == account_id, AccountPatient.patient_id == wanted
            )
        )
        if link is None:
            raise NotFoundException()
        return FamilyMember(link.patient, link.relationship_kind, link.id)

    @staticmethod
    def _check_fields(name: str, phone: str, relationship: str) -> str:
        if not name or len(name) > 30:
            raise RuleError(_("Please enter the real name as written on the ID card."), "name")
        phone = normalize_phone(phone)
        if not PHONE_PATTERN.match(phone):
            raise RuleError(
                _("Please enter an 11-digit mobile phone number, for example 13812345678."), "phone"
            )
        if relationship not in RELATIONSHIPS:
            raise RuleError(_("Please choose who this person is to you."), "relationship")
        return phone

    @staticmethod
    def _parse_id(text: str, today: date) -> IdNumber:
        try:
            return parse_id_number(text, today)
        except InvalidIdNumber as exc:
            messages = {
                "length": _("An ID number has 18 characters. Please check and type it again."),
                "shape": _("An ID number has 17 digits and then a digit or the letter X."),
                "checksum": _(
                    "This ID number is not valid: one of its digits is probably wrong. Please check it."
                ),
                "birth_date": _(
                    "The birth date inside this ID number is not a real date. Please check it."
                ),
            }
            raise RuleError(messages[exc.reason], "id_number") from exc

    async def add_member(
        self,
        account_id: UUID,
        *,
        name: str,
        id_number: str,
        phone: str,
        relationship: str,
        today: date,
    ) -> FamilyMember:
        """Add a family member; an ID number already known joins the same patient if the name matches."""
        session = self.repository.session
        phone = self._check_fields(name, phone, relationship)
        parsed = self._parse_id(id_number, today)
        await begin_write(session)
        family = await self.family_of(account_id)
        if len(family) >= self.max_per_account:
            raise RuleError(
                _(
                    "An account can manage at most %(count)d people. Remove someone first.",
                    count=self.max_per_account,
                )
            )
        if relationship == "self" and any(m.relationship == "self" for m in family):
            raise RuleError(
                _("You have already added yourself. Please choose another relationship."),
                "relationship",
            )
        patient = await session.scalar(select(Patient).where(Patient.id_number == parsed.number))
        if patient is not None:
            if any(m.patient.id == patient.id for m in family):
                raise RuleError(_("This person is already in your list."), "id_number")
            if patient.name != name:
                raise RuleError(
                    _("The name does not match this ID number. Please check both."), "name"
                )
            raise ConsentNeeded(patient, relationship)
        patient = Patient(
            name=name,
            id_number=parsed.number,
            phone=phone,
            sex=parsed.sex,
            birth_date=parsed.birth_date,
            registered_by=account_id,
        )
        session.add(patient)
        await session.flush()
        for hook in patient_added_hooks:
            await hook(session, patient)
        link = AccountPatient(
            account_id=account_id,
            patient_id=patient.id,
            relationship_kind=relationship,
            position=len(family),
        )
        session.add(link)
        await session.commit()
        return FamilyMember(patient, relationship, link.id)

    async def link_existing(
        self, account_id: UUID, patient_id: UUID, relationship: str
    ) -> FamilyMember:
        """After the patient agreed (their code was checked in this transaction): manage them too."""
        session = self.repository.session
        family = await self.family_of(account_id)
        if any(m.patient.id == patient_id for m in family):
            await session.commit()
            return next(m for m in family if m.patient.id == patient_id)
        if len(family) >= self.max_per_account:
            await session.rollback()
            raise RuleError(
                _(
                    "An account can manage at most %(count)d people. Remove someone first.",
                    count=self.max_per_account,
                )
            )
        if relationship == "self" and any(m.relationship == "self" for m in family):
            relationship = "other"
        patient = await session.get_one(Patient, patient_id)
        link = AccountPatient(
            account_id=account_id,
            patient_id=patient_id,
            relationship_kind=relationship,
            position=len(family),
        )
        session.add(link)
        await session.commit()
        return FamilyMember(patient, relationship, link.id)

    async def update_member(
        self,
        account_id: UUID,
        patient_id: UUID,
        *,
        name: str,
        id_number: str,
        phone: str,
        relationship: str,
        today: date,
    ) -> FamilyMember:
        """Correct a family member's details. The ID number may change only while no one else shares them."""
        session = self.repository.session
        phone = self._check_fields(name, phone, relationship)
        parsed = self._parse_id(id_number, today)
        await begin_write(session)
        member = await self.member_of(account_id, patient_id)
        family = await self.family_of(account_id)
        if relationship == "self" and any(
            m.relationship == "self" and m.id != member.id for m in family
        ):
            raise RuleError(
                _("You have already added yourself. Please choose another relationship."),
                "relationship",
            )
        patient = member.patient
        if patient.registered_by not in (None, account_id):
            raise RuleError(
                _(
                    "Only the account that first added this person can change their details. "
                    "Please ask them, or the registration desk."
                ),
            )
        if parsed.number != patient.id_number:
            sharers = await session.scalar(
                select(func.count())
                .select_from(AccountPatient)
                .where(AccountPatient.patient_id == patient.id)
            )
            if (sharers or 0) > 1:
                raise RuleError(
                    _(
                        "Another account also manages this person, so the ID number cannot be changed here."
                    ),
                    "id_number",
                )
            taken = await session.scalar(
                select(Patient.id).where(Patient.id_number == parsed.number)
            )
            if taken is not None:
                raise RuleError(
                    _("This ID number already belongs to another patient."), "id_number"
                )
            patient.id_number, patient.sex, patient.birth_date = (
                parsed.number,
                parsed.sex,
                parsed.birth_date,
            )
        patient.name, patient.phone = name, phone
        link = await session.get_one(AccountPatient, member.link_id)
        link.relationship_kind = relationship
        await session.commit()
        return FamilyMember(patient, relationship, link.id)

    async def remove_member(self, account_id: UUID, patient_id: UUID) -> None:
        """Stop managing a family member; their records stay with the hospital and other accounts."""
        session = self.repository.session
        member = await self.member_of(account_id, patient_id)
        await begin_write(session)
        link = await session.get_one(AccountPatient, member.link_id)
        await session.delete(link)
        await session.commit()


class AccountService(SQLAlchemyAsyncRepositoryService[Account]):
    """Preferences that follow the account from phone to phone."""

    class Repo(SQLAlchemyAsyncRepository[Account]):
        model_type = Account

    repository_type = Repo

    async def save_preferences(
        self,
        account_id: UUID,
        *,
        mode: str | None = None,
        locale: str | None = None,
        elder_offer_answered: bool | None = None,
    ) -> None:
        await begin_write(self.repository.session)
        account = await self.repository.session.get(Account, account_id)
        if account is None:
            await self.repository.session.rollback()
            return
        if mode is not None:
            account.display_mode = mode
        if locale is not None:
            account.locale = locale
        if elder_offer_answered is not None:
            account.elder_offer_answered = elder_offer_answered
        await self.repository.session.commit()
