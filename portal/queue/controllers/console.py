"""The doctor's console: the room's queue, and call next / call again / missed / done."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from portal.accounts.idnumber import age_on
from portal.accounts.models import Patient
from portal.queue.dependencies import provide_queue_service
from portal.queue.models import CALLED, DONE, MISSED, Queue, Ticket
from portal.queue.services import QueueService
from portal.staff.auth import StaffUser, provide_staff, requires_staff
from portal.touchpoints import Touchpoint
from portal.web.forms import RuleError, form_text
from portal.web.masking import mask_name

dependencies = {"staff": Provide(provide_staff), "queue_service": Provide(provide_queue_service)}


def _doctor(staff: StaffUser) -> None:
    """Only those who work in a doctor's room call patients (a pharmacist cannot)."""
    if not staff.may_use(Touchpoint.CLINIC):
        raise PermissionDeniedException()


async def _queue(queue_service: QueueService, queue_id: str) -> Queue:
    try:
        queue = await queue_service.session.get(Queue, UUID(queue_id))
    except ValueError as exc:
        raise NotFoundException() from exc
    if queue is None:
        raise NotFoundException()
    return queue


@get("/staff/console", name="console-rooms", guards=[requires_staff], dependencies=dependencies)
async def rooms(
    staff: NamedDependency[StaffUser], queue_service: NamedDependency[QueueService]
) -> Template:
    """Today's rooms; a doctor picks theirs once (their own room is listed first)."""
    _doctor(staff)
    queues = await queue_service.queues_today()
    mine = [q for q in queues if staff.room and staff.room in q.room]
    return Template(
        "queue/console_rooms.html",
        context={"staff": staff, "queues": mine + [q for q in queues if q not in mine]},
    )


async def _console_context(queue_service: QueueService, queue: Queue) -> dict[str, Any]:
    today = queue_service.clock.today()
    rows = (
        await queue_service.session.execute(
            select(Ticket, Patient)
            .join(Patient, Patient.id == Ticket.patient_id)
            .where(Ticket.queue_id == queue.id)
        )
    ).all()
    people = {
        t.id: {"name": mask_name(p.name), "age": age_on(p.birth_date, today), "sex": p.sex}
        for t, p in rows
    }
    current = next((t for t, _p in rows if t.status == CALLED), None)
    waiting = await queue_service.waiting_in(queue.id)
    finished = sorted((t for t, _p in rows if t.status in (DONE, MISSED)), key=lambda t: t.number)
    return {
        "queue": queue,
        "current": current,
        "waiting": waiting,
        "finished": finished,
        "people": people,
        "per_patient": (await queue_service.per_patient(queue.id)).total_seconds() / 60,
    }


@get(
    "/staff/console/{queue_id:str}",
    name="console",
    guards=[requires_staff],
    dependencies=dependencies,
)
async def console(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffUser],
    queue_service: NamedDependency[QueueService],
    queue_id: FromPath[str],
) -> Template:
    _doctor(staff)
    queue = await _queue(queue_service, queue_id)
    context = {"staff": staff, "error": None, **await _console_context(queue_service, queue)}
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "console-panel":
        return Template("queue/_console_panel.html", context=context)
    return Template("queue/console.html", context=context)


@post(
    "/staff/console/{queue_id:str}/{action:str}",
    name="console-action",
    guards=[requires_staff],
    dependencies=dependencies,
)
async def console_action(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffUser],
    queue_service: NamedDependency[QueueService],
    queue_id: FromPath[str],
    action: FromPath[str],
) -> Template | Redirect:
    """One click: next, again, missed or done. htmx swaps the panel; without it, back to the console."""
    _doctor(staff)
    queue = await _queue(queue_service, queue_id)
    actor = staff.actor(request.client.host if request.client else None)
    form = await request.form()
    error = None
    try:
        if action == "next":
            seen = form.get("current")
            await queue_service.call_next(queue.id, actor, None if seen is None else str(seen))
        else:
            ticket_id = UUID(form_text(form, "ticket", 64))
            operations = {
                "again": queue_service.call_again,
                "missed": queue_service.mark_missed,
                "done": queue_service.mark_done,
            }
            if action not in operations:
                raise NotFoundException()
            await operations[action](queue.id, ticket_id, actor)
    except (RuleError, ValueError) as exc:
        error = exc.message if isinstance(exc, RuleError) else None
    if not request.headers.get("hx-request"):
        return Redirect(f"/staff/console/{queue.id}", status_code=303)
    await queue_service.session.refresh(queue)
    context = {"staff": staff, "error": error, **await _console_context(queue_service, queue)}
    return Template("queue/_console_panel.html", context=context)


route_handlers = [rooms, console, console_action]
