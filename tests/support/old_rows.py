"""Rows written into a database as it stands at an older migration, to prove that upgrading
keeps them.

The rows go in with plain SQL through reflection, so they fit the tables as they were then, not
as the models describe them now: a few realistic ones (a family, a login code, a card, a staff
member, a doctor's morning with an appointment, its bill and a queue ticket) wherever their
table exists, and for every table two generic rows, one with every column filled and one with
only the NOT NULL columns. A table added by a later migration gets generic rows without any
change here.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ecard.numbers import check_digit
from portal.accounts.idnumber import make_id_number
from portal.db.migrate import keep_binary_type

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 20)
MOMENT = datetime(2026, 11, 20, 8, 40, tzinfo=SHANGHAI)
PHONE = "13800138000"
CARD_NUMBER = "620031415926535" + check_digit("620031415926535")
SKIPPED = {"alembic_version"}


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"ymt-migration-test/{name}")


ACCOUNT, DAUGHTER, MOTHER = _id("account"), _id("daughter"), _id("mother")
LOGIN_CODE, CARD = _id("login-code"), _id("card")
DEPARTMENT, DOCTOR, SCHEDULE = _id("department"), _id("doctor"), _id("schedule")
SLOT, APPOINTMENT, BILL = _id("slot"), _id("appointment"), _id("bill")
QUEUE, TICKET = _id("queue"), _id("ticket")
FEE_CENTS = 5000


VALIDATED: dict[str, Any] = {
    "phone": lambda n: f"135{n:08d}",
    "id_number": lambda n: make_id_number("110101", date(1950, 1, 1) + timedelta(days=n), 101),
}
"""Columns whose values the app always checked before writing, with a valid value for each."""


def realistic_rows() -> dict[str, list[dict[str, Any]]]:
    """Table → rows, as the app would have written them; columns a table lacks are dropped."""
    created = {"created_at": MOMENT - timedelta(days=30), "updated_at": MOMENT}
    slot_start = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
    return {
        "account": [
            {
                "id": ACCOUNT,
                "phone": PHONE,
                "display_mode": "elder",
                "locale": "zh_Hans",
                "elder_offer_answered": True,
                "last_login_at": MOMENT,
                **created,
            }
        ],
        "patient": [
            {
                "id": DAUGHTER,
                "name": "李静",
                "id_number": make_id_number("110101", date(1976, 5, 12), 42),
                "phone": PHONE,
                "sex": "F",
                "birth_date": date(1976, 5, 12),
                **created,
            },
            {
                "id": MOTHER,
                "name": "王秀英",
                "id_number": make_id_number("110101", date(1944, 3, 15), 28),
                "phone": "13911112222",
                "sex": "F",
                "birth_date": date(1944, 3, 15),
                **created,
            },
        ],
        "account_patient": [
            {
                "id": _id(f"link-{n}"),
                "account_id": ACCOUNT,
                "patient_id": patient,
                "relationship_kind": kind,
                "position": n,
                **created,
            }
            for n, (patient, kind) in enumerate(((DAUGHTER, "self"), (MOTHER, "parent")))
        ],
        "login_code": [
            {
                "id": LOGIN_CODE,
                "phone": PHONE,
                "purpose": "login",
                "code_hash": hashlib.sha256(b"13800138000:123456").hexdigest(),
                "expires_at": MOMENT + timedelta(minutes=5),
                "attempts": 1,
                "used": False,
                "requested_from": "203.0.113.7",
                **created,
            }
        ],
        "outbox_message": [
            {"id": _id("sms"), "phone": PHONE, "body": "【一码通】验证码 123456，5 分钟内有效。"}
        ],
        "ecard": [
            {
                "id": CARD,
                "patient_id": MOTHER,
                "card_number": CARD_NUMBER,
                "generation": 1,
                "active": True,
                **created,
            }
        ],
        "staff": [
            {
                "id": _id("nurse"),
                "username": "nurse",
                "display_name": "赵护士",
                "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
                "role": "nurse",
                "touchpoints_csv": "registration,triage",
                "active": True,
                **created,
            }
        ],
        "audit_event": [
            {
                "id": _id("audit"),
                "actor_kind": "staff",
                "actor_name": "赵护士",
                "action": "check_in",
                "touchpoint": "triage",
                "patient_id": MOTHER,
                "card_number": CARD_NUMBER,
                "outcome": "accepted",
                **created,
            }
        ],
        "department": [
            {
                "id": DEPARTMENT,
                "code": "CARD",
                "name": "心血管内科",
                "name_en": "Cardiology",
                "description": "高血压、冠心病、心律失常",
                "location": "门诊楼 3 层 A 区",
                "keywords": "高血压 胸闷",
                "position": 0,
                **created,
            }
        ],
        "doctor": [
            {
                "id": DOCTOR,
                "code": "D1",
                "department_id": DEPARTMENT,
                "name": "张伟",
                "title": "chief",
                "specialties": "高血压、冠心病",
                "keywords": "",
                "bio": "",
                **created,
            }
        ],
        "schedule": [
            {
                "id": SCHEDULE,
                "code": "D1-20261120-AM",
                "doctor_id": DOCTOR,
                "department_id": DEPARTMENT,
                "day": DAY,
                "period": "morning",
                "room": "305 诊室",
                "fee_cents": FEE_CENTS,
                "status": "open",
                **created,
            }
        ],
        "slot": [
            {
                "id": SLOT,
                "schedule_id": SCHEDULE,
                "starts_at": slot_start,
                "ends_at": slot_start + timedelta(minutes=15),
                "capacity": 5,
                "booked": 1,
                **created,
            }
        ],
        "appointment": [
            {
                "id": APPOINTMENT,
                "slot_id": SLOT,
                "schedule_id": SCHEDULE,
                "department_id": DEPARTMENT,
                "patient_id": MOTHER,
                "account_id": ACCOUNT,
                "visit_day": DAY,
                "status": "checked_in",
                "fee_cents": FEE_CENTS,
                "source": "online",
                "booked_at": MOMENT - timedelta(days=3),
                "checked_in_at": MOMENT,
                **created,
            }
        ],
        "bill": [
            {
                "id": BILL,
                "patient_id": MOTHER,
                "account_id": ACCOUNT,
                "kind": "registration",
                "appointment_id": APPOINTMENT,
                "total_cents": FEE_CENTS,
                "insurance_cents": 0,
                "status": "unpaid",
                **created,
            }
        ],
        "bill_item": [
            {
                "id": _id("bill-item"),
                "bill_id": BILL,
                "code": "registration",
                "name": "挂号费 心血管内科 张伟",
                "quantity": 1,
                "unit_cents": FEE_CENTS,
                "amount_cents": FEE_CENTS,
                **created,
            }
        ],
        "queue": [
            {
                "id": QUEUE,
                "kind": "clinic",
                "service_day": DAY,
                "schedule_id": SCHEDULE,
                "department_id": DEPARTMENT,
                "name": "心血管内科",
                "doctor_name": "张伟",
                "room": "305 诊室",
                "prefix": "A",
                "version": 3,
                **created,
            }
        ],
        "ticket_counter": [{"id": _id("counter"), "day": DAY, "prefix": "A", "last": 1}],
        "ticket": [
            {
                "id": TICKET,
                "queue_id": QUEUE,
                "patient_id": MOTHER,
                "appointment_id": APPOINTMENT,
                "number": "A001",
                "status": "waiting",
                "band": 0,
                "priority": 1,
                "slot_starts_at": slot_start,
                "checked_in_at": MOMENT,
                "call_count": 0,
                **created,
            }
        ],
    }


class RowWriter:
    """Writes rows into every table of the database as reflected from it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"
        self.metadata = reflect(connection)
        self.written: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.counter = itertools.count(1)

    def fill(self) -> dict[str, list[dict[str, Any]]]:
        """Realistic rows where their table exists, then two generic rows in every table
        (parents before children). Returns what was written, per table."""
        realistic = realistic_rows()
        for table in self.metadata.sorted_tables:
            if table.name in SKIPPED:
                continue
            for row in realistic.get(table.name, []):
                self._insert(table, row, every_column=False, generic=None)
            for generic in (0, 1):
                self._insert(table, {}, every_column=generic == 0, generic=generic)
        return dict(self.written)

    def _insert(
        self,
        table: sa.Table,
        given: dict[str, Any],
        *,
        every_column: bool,
        generic: int | None,
    ) -> None:
        row: dict[str, Any] = {}
        for column in table.columns:
            if column.name in given:
                value = given[column.name]
            elif column.foreign_keys:
                value = self._reference(column, generic, required=not column.nullable)
            elif every_column or not column.nullable:
                value = self._generic(table, column, generic or 0)
            else:
                continue
            row[column.name] = self._stored(value)
        self.connection.execute(table.insert().values(**row))
        self.written[table.name].append(row)

    def _reference(self, column: sa.Column[Any], generic: int | None, *, required: bool) -> Any:
        """A key of a row already written in the referenced table. Generic row n points at the
        n-th row from the end, so the two never share a parent (unique foreign keys)."""
        (foreign_key,) = column.foreign_keys
        target = foreign_key.column
        rows = self.written.get(target.table.name, [])
        if generic is None or not rows or (generic == 1 and not required):
            if required:
                raise AssertionError(f"{column.table.name}.{column.name}: no row to point at")
            return None
        return rows[-(generic + 1)][target.name]

    def _generic(self, table: sa.Table, column: sa.Column[Any], variant: int) -> Any:
        kind = column.type
        n = next(self.counter)
        if isinstance(kind, sa.Boolean):
            return variant == 0
        if isinstance(kind, sa.DateTime):
            return MOMENT + timedelta(minutes=n)
        if isinstance(kind, sa.Date):
            return DAY + timedelta(days=n % 7)
        if isinstance(kind, sa.Integer | sa.Numeric):
            return 1
        if isinstance(kind, sa.Uuid | sa.BINARY | sa.LargeBinary):
            return uuid.uuid4()
        if isinstance(kind, sa.String) and column.name in VALIDATED:
            # The app never stored these unvalidated: a generic text would not be a real row.
            return VALIDATED[column.name](n)
        if isinstance(kind, sa.String):
            text = f"{column.name}-{n}"
            length = kind.length
            return text[-length:] if length and len(text) > length else text
        raise AssertionError(f"no generic value for {table.name}.{column.name} ({kind!r})")

    def _stored(self, value: Any) -> Any:
        """What the app stores: ids as 16 bytes and times as naive UTC on SQLite (advanced-
        alchemy's GUID and DateTimeUTC), both natively on PostgreSQL."""
        if isinstance(value, uuid.UUID) and self.sqlite:
            return value.bytes
        if isinstance(value, datetime):
            utc = value.astimezone(UTC)
            return utc.replace(tzinfo=None) if self.sqlite else utc
        return value


def reflect(connection: Connection) -> sa.MetaData:
    """The tables as the database declares them (SQLite's BINARY ids as bytes, not numbers)."""
    metadata = sa.MetaData()
    if connection.dialect.name == "sqlite":
        sa.event.listen(metadata, "column_reflect", keep_binary_type)
    metadata.reflect(connection)
    return metadata


def snapshot(connection: Connection) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Every row of every table, by primary key, as reflection reads it."""
    metadata = reflect(connection)
    found: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    for table in metadata.sorted_tables:
        if table.name in SKIPPED:
            continue
        key = [c.name for c in table.primary_key.columns]
        rows = connection.execute(sa.select(table)).mappings()
        found[table.name] = {tuple(row[k] for k in key): dict(row) for row in rows}
    return found
