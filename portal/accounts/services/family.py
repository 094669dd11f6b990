"""Family members (就诊人): the patients an account manages, and the reads other features need."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.events import PatientAdded
from portal.accounts.idnumber import IdNumber, InvalidIdNumber, age_on, parse_id_number
from portal.accounts.lookups import FAMILY_TABLES
from portal.accounts.models import AccountPatient, Patient
from portal.accounts.phones import checked_phone
from portal.accounts.relationships import Relationship
from portal.accounts.services.account import lock_account
from portal.audit.services import record
from portal.core.actor import Actor
from portal.core.errors import NotFound, RuleError
from portal.core.events import EventBus
from portal.core.i18n import gettext as _
from portal.core.masking import mask_name, mask_phone
from portal.db.generations import KEEP_NOTHING, ReadCache
from portal.db.transactions import begin_write


async def lock_patient(session: AsyncSession, patient_id: UUID) -> Patient | None:
    """The patient, read afresh with their row held until this transaction ends (None: no such
    patient), so that what one patient does twice at once happens one after the other: the
    same card scanned at two desks gives one ticket. A row lock on PostgreSQL; on SQLite the
    write lock ``begin_write`` took already serialises writers. Call it right after
    ``begin_write``."""
    return await session.scalar(
        select(Patient)
        .where(Patient.id == patient_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


class ConsentNeeded(Exception):
    """The person is already registered with the hospital: they must agree (a code sent to the
    phone the hospital has for them) before another account may manage them."""

    def __init__(self, patient: Patient, relationship: Relationship) -> None:
        super().__init__("consent needed")
        self.patient = patient
        self.relationship = relationship


class PhoneChangeNeedsConsent(Exception):
    """Another account also manages this patient, and their phone is where consent codes go:
    the old phone must agree (a code sent to it) before it is replaced."""

    def __init__(self, patient_id: UUID, old_phone: str) -> None:
        super().__init__("the old phone must agree")
        self.patient_id = patient_id
        self.old_phone = old_phone


@dataclass(frozen=True)
class FamilyMember:
    """A patient as one account sees them."""

    patient: Patient
    relationship: Relationship
    link_id: UUID

    @property
    def id(self) -> UUID:
        return self.patient.id

    def age(self, today: date) -> int:
        return age_on(self.patient.birth_date, today)


def _member(link: AccountPatient) -> FamilyMember:
    return FamilyMember(link.patient, Relationship.of(link.relationship_kind), link.id)


class PatientService:
    """Family members: add, edit, remove, and the account-scoped lookups every feature uses.
    A new patient is announced as ``PatientAdded`` (the e-card feature issues the first card)."""

    max_per_account = 5

    def __init__(
        self,
        session: AsyncSession,
        events: EventBus | None = None,
        cache: ReadCache | None = None,
    ) -> None:
        self.session = session
        self.events = events or EventBus()
        self.cache = cache or KEEP_NOTHING

    # -- reads ---------------------------------------------------------------------------------

    async def family_of(self, account_id: UUID) -> list[FamilyMember]:
        result = await self.session.execute(
            select(AccountPatient)
            .where(AccountPatient.account_id == account_id)
            .order_by(AccountPatient.position, AccountPatient.created_at)
        )
        return [_member(link) for link in result.scalars()]

    async def family_on_page(self, account_id: UUID) -> list[FamilyMember]:
        """``family_of`` for a page that only shows it: kept between requests while the family's
        tables are unchanged (portal/db/generations.py). Never for a decision that writes."""
        return await self.cache.get(
            ("family", account_id),
            FAMILY_TABLES,
            lambda: self.family_of(account_id),
            self.session,
            rows=lambda family: [member.patient for member in family],
        )

    async def patient_ids_of(self, account_id: UUID) -> list[UUID]:
        """The ids of everyone this account manages, in the family's order."""
        result = await self.session.scalars(
            select(AccountPatient.patient_id)
            .where(AccountPatient.account_id == account_id)
            .order_by(AccountPatient.position, AccountPatient.created_at)
        )
        return list(result)

    async def member_of(self, account_id: UUID, patient_id: UUID | str) -> FamilyMember:
        """The patient if this account manages them; otherwise NotFound (never reveal another's
        patient). Ids come parsed from typed parameters; a text one (from a caller that has not
        typed its parameter yet) that is not a UUID names nobody."""
        if not isinstance(patient_id, UUID):
            try:
                patient_id = UUID(patient_id)
            except ValueError as exc:
                raise NotFound() from exc
        link = await self.session.scalar(
            select(AccountPatient).where(
                AccountPatient.account_id == account_id, AccountPatient.patient_id == patient_id
            )
        )
        if link is None:
            raise NotFound()
        return _member(link)

    async def patient(self, patient_id: UUID) -> Patient | None:
        """A patient by id, whoever manages them: for a desk, a scan, or someone an account asked
        to add. An account's pages about its own family go through ``member_of``."""
        return await self.session.get(Patient, patient_id)

    async def patients_by_id(self, patient_ids: Iterable[UUID]) -> dict[UUID, Patient]:
        """Several patients at once, whoever manages them (a queue's board or console names
        everyone in the room)."""
        wanted = set(patient_ids)
        if not wanted:
            return {}
        rows = await self.session.scalars(select(Patient).where(Patient.id.in_(wanted)))
        return {patient.id: patient for patient in rows}

    async def masked_name(self, patient_id: UUID) -> str | None:
        """How every screen names a patient (张*明); None for an unknown id."""
        name = await self.session.scalar(select(Patient.name).where(Patient.id == patient_id))
        return mask_name(name) if name is not None else None

    # -- checks --------------------------------------------------------------------------------

    @staticmethod
    def _check_fields(name: str, phone: str, relationship: str) -> tuple[str, Relationship]:
        if not name or len(name) > 30:
            raise RuleError(_("Please enter the real name as written on the ID card."), "name")
        phone = checked_phone(phone)
        try:
            return phone, Relationship(relationship)
        except ValueError:
            raise RuleError(_("Please choose who this person is to you."), "relationship") from None

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

    def _refuse_when_full(self, family: list[FamilyMember]) -> None:
        if len(family) >= self.max_per_account:
            raise RuleError(
                _(
                    "An account can manage at most %(count)d people. Remove someone first.",
                    count=self.max_per_account,
                )
            )

    @staticmethod
    def _refuse_second_self(
        family: list[FamilyMember], relationship: Relationship, but: UUID | None = None
    ) -> None:
        if relationship == Relationship.SELF and any(
            m.relationship == Relationship.SELF and m.id != but for m in family
        ):
            raise RuleError(
                _("You have already added yourself. Please choose another relationship."),
                "relationship",
            )

    # -- writes --------------------------------------------------------------------------------

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
        session = self.session
        phone, kind = self._check_fields(name, phone, relationship)
        parsed = self._parse_id(id_number, today)
        await begin_write(session)
        await lock_account(session, account_id)
        family = await self.family_of(account_id)
        self._refuse_when_full(family)
        self._refuse_second_self(family, kind)
        patient = await session.scalar(select(Patient).where(Patient.id_number == parsed.number))
        if patient is not None:
            if any(m.patient.id == patient.id for m in family):
                raise RuleError(_("This person is already in your list."), "id_number")
            if patient.name != name:
                raise RuleError(
                    _("The name does not match this ID number. Please check both."), "name"
                )
            raise ConsentNeeded(patient, kind)
        patient = Patient(
            name=name,
            id_number=parsed.number,
            phone=phone,
            sex=parsed.sex,
            birth_date=parsed.birth_date,
            registered_by=account_id,
        )
        try:
            session.add(patient)
            await session.flush()
            await self.events.emit(session, PatientAdded(patient.id))
            link = AccountPatient(
                account_id=account_id,
                patient_id=patient.id,
                relationship_kind=kind,
                position=len(family),
            )
            session.add(link)
            await session.commit()
        except IntegrityError as exc:  # the same person registered from another phone just now
            await session.rollback()
            raise RuleError(
                _("This person was registered a moment ago. Please send the form again."),
                "id_number",
            ) from exc
        return FamilyMember(patient, kind, link.id)

    async def link_existing(
        self, account_id: UUID, patient_id: UUID, relationship: Relationship
    ) -> FamilyMember:
        """After the patient agreed (their code was checked in this transaction): manage them too."""
        session = self.session
        await lock_account(session, account_id)
        family = await self.family_of(account_id)
        already = next((m for m in family if m.patient.id == patient_id), None)
        if already is not None:
            await session.commit()
            return already
        try:
            self._refuse_when_full(family)
        except RuleError:
            await session.rollback()
            raise
        if relationship == Relationship.SELF and any(
            m.relationship == Relationship.SELF for m in family
        ):
            relationship = Relationship.OTHER
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
        old_phone_agreed_for: Actor | None = None,
    ) -> FamilyMember:
        """Correct a family member's details. The ID number may change only while no one else
        shares them. The phone of someone another account also manages is where their consent
        codes go: it changes only when the old phone agreed (a code sent to it was passed on to
        ``old_phone_agreed_for``, the account asking, and the change is audited in the same
        transaction), else PhoneChangeNeedsConsent."""
        session = self.session
        phone, kind = self._check_fields(name, phone, relationship)
        parsed = self._parse_id(id_number, today)
        await begin_write(session)
        member = await self.member_of(account_id, patient_id)
        self._refuse_second_self(await self.family_of(account_id), kind, but=member.id)
        patient = member.patient
        if patient.registered_by not in (None, account_id):
            raise RuleError(
                _(
                    "Only the account that first added this person can change their details. "
                    "Please ask them, or the registration desk."
                ),
            )
        sharers = await session.scalar(
            select(func.count())
            .select_from(AccountPatient)
            .where(AccountPatient.patient_id == patient.id)
        )
        if phone != patient.phone and old_phone_agreed_for is None and (sharers or 0) > 1:
            raise PhoneChangeNeedsConsent(patient.id, patient.phone)
        if phone != patient.phone and old_phone_agreed_for is not None:
            await record(
                session,
                old_phone_agreed_for,
                "patient_phone_change",
                "ACCEPTED",
                patient_id=patient.id,
                detail=(
                    f"{mask_phone(patient.phone)} -> {mask_phone(phone)}, "
                    "agreed by a code sent to the old phone"
                ),
            )
        if parsed.number != patient.id_number:
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
        link.relationship_kind = kind
        try:
            await session.commit()
        except IntegrityError as exc:  # the new ID number was registered a moment ago
            await session.rollback()
            raise RuleError(
                _("This ID number already belongs to another patient."), "id_number"
            ) from exc
        return FamilyMember(patient, kind, link.id)

    async def remove_member(self, account_id: UUID, patient_id: UUID) -> None:
        """Stop managing a family member; their records stay with the hospital and other accounts."""
        session = self.session
        member = await self.member_of(account_id, patient_id)
        await begin_write(session)
        link = await session.get_one(AccountPatient, member.link_id)
        await session.delete(link)
        await session.commit()
