"""The waitlist (候补): join a full session, get an offer when a place comes back, accept or
decline it; offers that are not answered in time pass to the next patient."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.lookups import FAMILY_TABLES, patient_ids_of
from portal.booking import checks, rules
from portal.booking.models import (
    ACCEPTED,
    CLOSED,
    DECLINED,
    EXPIRED,
    HELD,
    LEFT,
    OFFERED,
    OPEN,
    TAKEN,
    WAITING,
    Appointment,
    Department,
    Doctor,
    ReturnedPlace,
    Schedule,
    Slot,
    WaitlistEntry,
)
from portal.booking.places import Notice, pass_on_place, send_notices
from portal.booking.services import add_appointment, family_patient
from portal.core.clock import Clock
from portal.core.errors import NotFound, RuleError
from portal.core.i18n import gettext as _
from portal.core.masking import mask_name
from portal.db.generations import KEEP_NOTHING, ReadCache
from portal.messaging.services import SmsSender
from portal.settings import BookingSettings


@dataclass(frozen=True)
class Housekeeping:
    """What one run of ``release_due_slots`` did."""

    offers_expired: int = 0
    places_released: int = 0
    entries_closed: int = 0


WAITLIST_TABLES = (
    WaitlistEntry.__tablename__,
    ReturnedPlace.__tablename__,
    Slot.__tablename__,
    Schedule.__tablename__,
    Doctor.__tablename__,
    Department.__tablename__,
    *FAMILY_TABLES,
)
"""What an account's waiting-list entries, and their places in line, are read from."""


class WaitlistService:
    """Join, offer, accept, decline, leave; and the timed work (expiring offers, re-releasing)."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        settings: BookingSettings,
        clock: Clock,
        sms_sender: SmsSender | None = None,
        rng: random.Random | None = None,
        cache: ReadCache | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.sms_sender = sms_sender
        self._rng = rng
        self.cache = cache or KEEP_NOTHING

    @property
    def rng(self) -> random.Random:
        """Who is offered a returned place first; seeded only when a place is passed on (a
        page that lists entries never needs it)."""
        if self._rng is None:
            self._rng = random.Random()
        return self._rng

    # -- what an account sees ------------------------------------------------------------------

    async def entries_of(
        self, account_id: UUID, patient_id: UUID | None = None
    ) -> list[WaitlistEntry]:
        """Open entries (waiting or offered) of the account's family, offers first."""
        statement = (
            select(WaitlistEntry)
            .where(
                WaitlistEntry.patient_id.in_(await patient_ids_of(self.session, account_id)),
                WaitlistEntry.status.in_((WAITING, OFFERED)),
            )
            .order_by(WaitlistEntry.joined_at)
        )
        if patient_id is not None:
            statement = statement.where(WaitlistEntry.patient_id == patient_id)
        entries = list(await self.session.scalars(statement))
        return sorted(entries, key=lambda e: not e.is_offered)

    async def entries_on_page(
        self, account_id: UUID, patient_id: UUID | None = None
    ) -> tuple[list[WaitlistEntry], dict[UUID, int]]:
        """``entries_of`` with each entry's place in its line, for a page that only shows them:
        kept between requests while their tables are unchanged (portal/db/generations.py)."""

        async def read() -> tuple[list[WaitlistEntry], dict[UUID, int]]:
            entries = await self.entries_of(account_id, patient_id)
            return entries, {entry.id: await self.position_of(entry) for entry in entries}

        return await self.cache.get(
            ("waitlist", account_id, patient_id),
            WAITLIST_TABLES,
            read,
            self.session,
            rows=lambda kept: kept[0],
        )

    async def position_of(self, entry: WaitlistEntry) -> int:
        """1 for the first patient waiting for the session."""
        ahead = await self.session.scalar(
            select(func.count())
            .select_from(WaitlistEntry)
            .where(
                WaitlistEntry.schedule_id == entry.schedule_id,
                WaitlistEntry.status == WAITING,
                WaitlistEntry.joined_at < entry.joined_at,
            )
        )
        return int(ahead or 0) + 1

    async def entry_of(self, account_id: UUID, entry_id: UUID) -> WaitlistEntry:
        """An entry of one of this account's family members; ``NotFound`` for anyone else's."""
        entry = await self.session.scalar(
            select(WaitlistEntry).where(
                WaitlistEntry.id == entry_id,
                WaitlistEntry.patient_id.in_(await patient_ids_of(self.session, account_id)),
            )
        )
        if entry is None:
            raise NotFound()
        return entry

    # -- joining and leaving ------------------------------------------------------------------

    async def join_waitlist(
        self, *, account_id: UUID, patient_id: UUID, schedule_id: UUID
    ) -> WaitlistEntry:
        """Wait for a place in a full session."""
        session = self.session
        now = self.clock.now()
        zone = self.clock.zone
        await checks.begin_write_and_lock(session, account_id)
        try:
            patient = await family_patient(session, account_id, patient_id)
            schedule = await session.get(Schedule, schedule_id)
            if schedule is None:
                raise NotFound()
            future = list(
                await session.scalars(
                    select(Slot)
                    .where(Slot.schedule_id == schedule.id, Slot.starts_at > now)
                    .order_by(Slot.starts_at)
                )
            )
            if schedule.status != OPEN or not future:
                raise RuleError(
                    _("This session is over or not taking patients. Please choose another one.")
                )
            checks.ensure_bookable(future[0], now, self.settings, zone)
            if any(slot.free for slot in future):
                raise RuleError(
                    _(
                        "There are still free places in this session. Please book one of them instead of waiting."
                    )
                )
            await checks.ensure_not_locked(session, patient, now, self.settings, zone)
            await checks.ensure_one_per_department_day(session, patient, schedule)
            already = _(
                "%(name)s is already on the waiting list for this session.",
                name=mask_name(patient.name),
            )
            mine = await session.scalar(
                select(WaitlistEntry.id).where(
                    WaitlistEntry.patient_id == patient.id,
                    WaitlistEntry.schedule_id == schedule.id,
                    WaitlistEntry.status.in_((WAITING, OFFERED)),
                )
            )
            if mine is not None:
                raise RuleError(already)
            waiting = await session.scalar(
                select(func.count())
                .select_from(WaitlistEntry)
                .where(
                    WaitlistEntry.account_id == account_id,
                    WaitlistEntry.status.in_((WAITING, OFFERED)),
                )
            )
            if (waiting or 0) >= self.settings.max_active_per_account:
                raise RuleError(
                    _(
                        "This account is already waiting for %(count)d sessions, the most allowed. "
                        "Please leave a waiting list you no longer need first.",
                        count=self.settings.max_active_per_account,
                    )
                )
            entry = WaitlistEntry(
                schedule_id=schedule.id,
                patient_id=patient.id,
                account_id=account_id,
                status=WAITING,
                joined_at=now,
            )
            session.add(entry)
            await session.commit()
        except IntegrityError as exc:  # the same patient joined twice at the same moment
            await session.rollback()
            raise RuleError(already) from exc
        except BaseException:
            await session.rollback()
            raise
        return entry

    async def leave_waitlist(self, *, account_id: UUID, entry_id: UUID) -> None:
        """Stop waiting. An open offer is declined, so its place passes on at once."""
        entry = await self.entry_of(account_id, entry_id)
        if entry.status == OFFERED:
            await self.decline_offer(account_id=account_id, entry_id=entry.id)
            return
        await checks.begin_write(self.session)
        await self.session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == WAITING)
            .values(status=LEFT)
            .execution_options(synchronize_session=False)
        )
        await self.session.commit()

    # -- offers ---------------------------------------------------------------------------------

    async def accept_offer(self, *, account_id: UUID, entry_id: UUID) -> Appointment:
        """Book the offered place, if the offer is still open and the booking rules allow it."""
        session = self.session
        now = self.clock.now()
        zone = self.clock.zone
        entry = await self.entry_of(account_id, entry_id)
        await checks.begin_write_and_lock(session, account_id)
        try:
            await session.refresh(entry)
            if entry.status != OFFERED or entry.place_id is None:
                raise RuleError(
                    _("This offer is no longer open. The place has gone to someone else.")
                )
            if entry.hold_until is None or rules.aware(entry.hold_until) <= now:
                raise RuleError(
                    _(
                        "The time to accept this place has passed, so it has gone to the next person waiting."
                    )
                )
            place = await session.get(ReturnedPlace, entry.place_id)
            if place is None:
                raise NotFound()
            slot = place.slot
            patient = entry.patient
            if rules.aware(slot.starts_at) <= now:
                raise RuleError(_("This time has already begun. Please choose a later time."))
            await checks.ensure_not_locked(session, patient, now, self.settings, zone)
            await checks.ensure_one_per_department_day(session, patient, slot.schedule)
            await checks.ensure_under_account_limit(session, account_id, now, self.settings)
            # Worded now: after a rollback the loaded rows can no longer be read.
            conflict = checks.one_per_day_message(patient, slot.schedule)
            appointment = await add_appointment(
                session, slot, patient, account_id, now, source="waitlist"
            )
            accepted = await session.execute(
                update(WaitlistEntry)
                .where(
                    WaitlistEntry.id == entry.id,
                    WaitlistEntry.status == OFFERED,
                    WaitlistEntry.hold_until > now,
                )
                .values(status=ACCEPTED, appointment_id=appointment.id)
                .execution_options(synchronize_session=False)
            )
            if accepted.rowcount != 1:  # type: ignore[attr-defined]
                raise RuleError(
                    _("This offer is no longer open. The place has gone to someone else.")
                )
            place.status = TAKEN
            await session.commit()
        except IntegrityError as exc:
            await session.rollback()
            raise RuleError(conflict) from exc
        except BaseException:
            await session.rollback()
            raise
        return appointment

    async def decline_offer(self, *, account_id: UUID, entry_id: UUID) -> None:
        """Say no to an offer: the place passes to the next patient waiting at once."""
        session = self.session
        now = self.clock.now()
        entry = await self.entry_of(account_id, entry_id)
        await checks.begin_write(session)
        try:
            declined = await session.execute(
                update(WaitlistEntry)
                .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == OFFERED)
                .values(status=DECLINED)
                .execution_options(synchronize_session=False)
            )
            notices: list[Notice] = []
            if declined.rowcount == 1 and entry.place_id is not None:  # type: ignore[attr-defined]
                place = await session.get(ReturnedPlace, entry.place_id, populate_existing=True)
                if place is not None:
                    notices = await pass_on_place(
                        session, place, now, self.settings, self.clock, self.rng
                    )
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        await send_notices(self.sms_sender, notices)

    # -- timed work -----------------------------------------------------------------------------

    async def release_due_slots(self, now: datetime | None = None) -> Housekeeping:
        """Expire unanswered offers (passing their places on), offer or re-release returned places
        whose random moment has come, and close waiting entries of sessions that are over."""
        session = self.session
        now = now or self.clock.now()
        notices: list[Notice] = []
        await checks.begin_write(session)
        try:
            expired = (
                await session.execute(
                    select(WaitlistEntry.id, WaitlistEntry.place_id)
                    .where(WaitlistEntry.status == OFFERED, WaitlistEntry.hold_until <= now)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for entry_id, place_id in expired:
                await session.execute(
                    update(WaitlistEntry)
                    .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == OFFERED)
                    .values(status=EXPIRED)
                    .execution_options(synchronize_session=False)
                )
                place = await session.get(ReturnedPlace, place_id, populate_existing=True)
                if place is not None:
                    notices += await pass_on_place(
                        session, place, now, self.settings, self.clock, self.rng
                    )
            due = list(
                await session.scalars(
                    select(ReturnedPlace.id)
                    .where(ReturnedPlace.status == HELD, ReturnedPlace.release_at <= now)
                    .with_for_update(skip_locked=True)
                )
            )
            for place_id in due:
                place = await session.get(ReturnedPlace, place_id, populate_existing=True)
                if place is not None:
                    notices += await pass_on_place(
                        session,
                        place,
                        now,
                        self.settings,
                        self.clock,
                        self.rng,
                        release_if_unwanted=True,
                    )
            closed = await session.execute(
                update(WaitlistEntry)
                .where(
                    WaitlistEntry.status == WAITING,
                    WaitlistEntry.schedule_id.in_(
                        select(Schedule.id).where(Schedule.day < self.clock.local(now).date())
                    ),
                )
                .values(status=CLOSED)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        await send_notices(self.sms_sender, notices)
        return Housekeeping(
            offers_expired=len(expired),
            places_released=len(due),
            entries_closed=int(closed.rowcount or 0),  # type: ignore[attr-defined]
        )
