"""Bills from the hospital's own systems (HIS): added or updated by the hospital's bill number, in
one transaction, and lines voided when what they were for will not happen.

Sending the same bills twice changes nothing. A bill still unpaid takes the lines it is sent
(a line missing from a new sending is voided, never deleted); a paid one can no longer change.
The patient is named by their card number or ID number, and an unknown patient refuses the
whole import: a bill is never kept for nobody. Every refusal changes nothing and says where, in
words; every bill added, changed or voided is audited under the client that sent it.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.lookups import patients_with_id_numbers
from portal.audit.services import record
from portal.cards.lookups import patients_with_card_numbers
from portal.core.actor import Actor
from portal.core.errors import NotFound
from portal.db.transactions import begin_write, lock_key
from portal.payments.models import (
    BILLED,
    HOSPITAL,
    ITEM_VOID,
    PAID,
    UNPAID,
    VOID,
    VOIDED,
    Bill,
    BillItem,
)
from portal.payments.refunds import refund_part_of
from portal.payments.schemas import (
    BillIn,
    BillsImport,
    BillsResult,
    ByCardNumber,
    ByIdNumber,
    ItemIn,
)

MAX_LINE_FEN = 100_000_000
"""¥1,000,000: no outpatient line costs more (and the quantity times the price must fit)."""
MAX_BILL_FEN = 1_000_000_000


class Problem:
    """Why bills cannot be imported: where (``bills[2].items[0].line``), and what."""

    def __init__(self, where: str, what: str) -> None:
        self.where = where
        self.what = what

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class BillsRefused(Exception):
    """The bills contradict themselves or what we hold; nothing was changed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


Line = tuple[str, str, str, int, int, str]


def _line(item: BillItem) -> Line:
    return (
        item.code,
        item.name,
        item.category,
        item.quantity,
        item.unit_cents,
        item.insurance_class,
    )


def _sent(item: ItemIn) -> Line:
    return (
        item.code,
        item.name,
        item.category,
        item.quantity,
        item.unit_price_fen,
        item.insurance_class,
    )


def _changes(bill: Bill, bill_in: BillIn) -> bool:
    """Whether sending ``bill_in`` changes ``bill``. A line the hospital voided stays void
    whatever a later sending says of it (the system that voided a test may send the bill as it
    first was): only new lines, changed billed lines, billed lines left out or a new title
    count."""
    held = {i.line: i for i in bill.items}
    sent = {i.line for i in bill_in.items}
    for item in bill_in.items:
        line = held.get(item.line)
        if line is None or (not line.is_void and _line(line) != _sent(item)):
            return True
    billed_left_out = any(not i.is_void and i.line not in sent for i in bill.items)
    return billed_left_out or bill.title != bill_in.title or bill.guidance != bill_in.guidance


def _shape_problems(payload: BillsImport) -> list[Problem]:
    """What is wrong with the bills on their own: repeats, and amounts beyond any bill."""
    problems: list[Problem] = []
    numbers: set[str] = set()
    for index, bill in enumerate(payload.bills):
        where = f"bills[{index}]"
        if bill.number in numbers:
            problems.append(Problem(f"{where}.number", f"{bill.number} is sent more than once"))
        numbers.add(bill.number)
        lines: set[str] = set()
        total = 0
        for position, item in enumerate(bill.items):
            amount = item.quantity * item.unit_price_fen
            total += amount
            if item.line in lines:
                problems.append(
                    Problem(f"{where}.items[{position}].line", f"line {item.line} is sent twice")
                )
            lines.add(item.line)
            if amount > MAX_LINE_FEN:
                problems.append(
                    Problem(
                        f"{where}.items[{position}]",
                        "quantity times unit_price_fen is more than 100000000 fen (¥1,000,000)",
                    )
                )
        if total > MAX_BILL_FEN:
            problems.append(Problem(f"{where}.items", "the bill is more than ¥10,000,000 in all"))
    return problems


async def _patients(session: AsyncSession, payload: BillsImport) -> dict[int, UUID]:
    """Each bill's patient, by the bill's index; unknown patients are left out."""
    refs = [b.patient for b in payload.bills]
    by_card = await patients_with_card_numbers(
        session, [r.value for r in refs if isinstance(r, ByCardNumber)]
    )
    by_id = await patients_with_id_numbers(
        session, [r.value for r in refs if isinstance(r, ByIdNumber)]
    )
    found: dict[int, UUID] = {}
    for index, ref in enumerate(refs):
        patient = (by_card if isinstance(ref, ByCardNumber) else by_id).get(ref.value)
        if patient is not None:
            found[index] = patient
    return found


def _new_bill(bill_in: BillIn, patient_id: UUID) -> Bill:
    items = [
        BillItem(
            line=i.line,
            code=i.code,
            name=i.name,
            category=i.category,
            quantity=i.quantity,
            unit_cents=i.unit_price_fen,
            amount_cents=i.quantity * i.unit_price_fen,
            status=BILLED,
            insurance_class=i.insurance_class,
        )
        for i in bill_in.items
    ]
    return Bill(
        patient_id=patient_id,
        account_id=None,
        kind=HOSPITAL,
        number=bill_in.number,
        title=bill_in.title,
        guidance=bill_in.guidance,
        total_cents=sum(i.amount_cents for i in items),
        insurance_cents=0,
        status=UNPAID,
        items=items,
    )


async def _refund_voided(session: AsyncSession, bill: Bill, voided: list[BillItem]) -> None:
    """The patient's share of these lines of a paid bill goes back (in proportion to the bill's
    split); the bill's totals drop by the lines, its insurance share by the rest."""
    amount = sum(i.amount_cents for i in voided)
    patient = bill.total_cents - bill.insurance_cents
    back = amount * patient // bill.total_cents if bill.total_cents else 0
    await refund_part_of(session, bill, back, VOIDED)
    bill.insurance_cents = max(0, bill.insurance_cents - (amount - back))


def _retotal(bill: Bill) -> None:
    """The total is always the sum of the lines still billed, worked out here."""
    billed = [i for i in bill.items if not i.is_void]
    bill.total_cents = sum(i.amount_cents for i in billed)
    if not billed and bill.status == UNPAID:
        bill.status = VOID


def _update(bill: Bill, bill_in: BillIn) -> None:
    by_line = {i.line: i for i in bill.items}
    for item in bill_in.items:
        line = by_line.get(item.line)
        if line is not None and line.is_void:
            continue  # voided by the hospital: it stays void
        if line is None:
            line = BillItem(line=item.line, status=BILLED)
            bill.items.append(line)
        line.code, line.name, line.category = item.code, item.name, item.category
        line.quantity, line.unit_cents = item.quantity, item.unit_price_fen
        line.amount_cents = item.quantity * item.unit_price_fen
        line.insurance_class = item.insurance_class
    sent = {i.line for i in bill_in.items}
    for line in bill.items:
        if line.line not in sent:
            line.status = ITEM_VOID
    bill.title = bill_in.title
    bill.guidance = bill_in.guidance
    _retotal(bill)


async def lock_patients(session: AsyncSession, patient_ids: Iterable[UUID]) -> None:
    """Take the patients' turn at their bills: the cashier takes the same lock before paying,
    so a bill is never changed between being read for a payment and being paid (PostgreSQL;
    SQLite's one write lock already does this). Always patients first, in order, then bill
    numbers: two writers never wait for each other in a circle."""
    for patient_id in sorted(set(patient_ids), key=str):
        await lock_key(session, f"pay:{patient_id}")


async def _lock_and_load(session: AsyncSession, numbers: list[str]) -> dict[str, Bill]:
    """Take the bills' numbers in turn (PostgreSQL: two imports of one new bill wait for each
    other), then read what we hold as it is now."""
    for number in sorted(set(numbers)):
        await lock_key(session, f"bill:{number}")
    held = await session.scalars(
        select(Bill)
        .where(Bill.number.in_(sorted(set(numbers))))
        .execution_options(populate_existing=True)
    )
    return {b.number: b for b in held if b.number is not None}


async def import_bills(session: AsyncSession, payload: BillsImport, actor: Actor) -> BillsResult:
    """Add or update every bill in ``payload``; raise ``BillsRefused`` (changing nothing)."""
    if problems := _shape_problems(payload):
        raise BillsRefused(problems)
    result = BillsResult()
    await begin_write(session)
    try:
        patients = await _patients(session, payload)
        await lock_patients(session, patients.values())
        held = await _lock_and_load(session, [b.number for b in payload.bills])
        for index, bill_in in enumerate(payload.bills):
            where = f"bills[{index}]"
            patient_id = patients.get(index)
            if patient_id is None:
                problems.append(
                    Problem(
                        f"{where}.patient",
                        "no patient of this hospital has this "
                        + (
                            "card number"
                            if isinstance(bill_in.patient, ByCardNumber)
                            else "ID number"
                        ),
                    )
                )
                continue
            bill = held.get(bill_in.number)
            if bill is None:
                bill = _new_bill(bill_in, patient_id)
                session.add(bill)
                result.created += 1
                outcome = "created"
            elif bill.patient_id != patient_id:
                problems.append(
                    Problem(f"{where}.patient", f"bill {bill_in.number} is another patient's")
                )
                continue
            elif not _changes(bill, bill_in):
                result.unchanged += 1
                continue
            elif bill.status != UNPAID:
                problems.append(
                    Problem(
                        f"{where}.number",
                        f"bill {bill_in.number} is {bill.status}: it can no longer change",
                    )
                )
                continue
            else:
                _update(bill, bill_in)
                result.updated += 1
                outcome = "updated"
            await record(
                session,
                actor,
                "bill.import",
                outcome,
                patient_id=patient_id,
                detail=f"{bill_in.number}: {bill.total_cents} fen",
            )
        if problems:
            raise BillsRefused(problems)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return result


async def void_lines(
    session: AsyncSession, number: str, lines: list[str], actor: Actor
) -> tuple[Bill, int]:
    """Void lines of a bill (sending it again voids nothing more). Returns the bill and how many
    lines changed. An unpaid bill with no line left billed is void: nothing to pay. A paid
    bill's voided lines are refunded in part: the patient's share of each goes back through
    the gateway that took it."""
    await begin_write(session)
    try:
        patient_id = await session.scalar(select(Bill.patient_id).where(Bill.number == number))
        if patient_id is None:
            raise NotFound(f"there is no bill numbered {number}")
        await lock_patients(session, [patient_id])
        bill = (await _lock_and_load(session, [number]))[number]
        by_line = {i.line: i for i in bill.items}
        unknown = [line for line in dict.fromkeys(lines) if line not in by_line]
        if unknown:
            raise BillsRefused(
                [Problem("lines", f"bill {number} has no line {', '.join(unknown)}")]
            )
        wanted = [by_line[line] for line in dict.fromkeys(lines) if not by_line[line].is_void]
        if wanted and bill.status not in (UNPAID, PAID):
            raise BillsRefused(
                [
                    Problem(
                        "lines",
                        f"bill {number} is {bill.status}: only an unpaid or a paid bill's lines "
                        "can be voided",
                    )
                ]
            )
        if wanted and bill.status == PAID:
            await _refund_voided(session, bill, wanted)
        for item in wanted:
            item.status = ITEM_VOID
        if wanted:
            _retotal(bill)
            await record(
                session,
                actor,
                "bill.void",
                "voided",
                patient_id=bill.patient_id,
                detail=f"{number}: lines {', '.join(i.line for i in wanted)}",
            )
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return bill, len(wanted)
