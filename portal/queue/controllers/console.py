"""The doctor's console: the room's queue, and call next / call again / missed / done.

A doctor sees and runs only the queues of their own sessions today and those they cover
(``portal.queue.services.access``); any other queue gets a 403 page that says why and what to
do."""

from __future__ import annotations

from uuid import UUID

from litestar import get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.core.errors import NotAllowed, NotFound, RuleError
from portal.core.touchpoints import Touchpoint
from portal.queue.dependencies import (
    announcer,
    provide_calling_service,
    provide_console_access,
    provide_queue_views,
)
from portal.queue.models import Queue
from portal.queue.services import CallingService, ConsoleAccess, NotYourQueue, QueueViews
from portal.staff.auth import StaffUser, provide_staff, requires_staff
from portal.web.forms import form_text
from portal.web.redirects import redirect_to

dependencies = {
    **announcer,
    "staff": Provide(provide_staff),
    "console_access": Provide(provide_console_access),
    "calling_service": Provide(provide_calling_service),
    "queue_views": Provide(provide_queue_views),
}
ACTIONS = ("next", "again", "missed", "done")
PANEL = "console-panel"


def _doctor(staff: StaffUser) -> None:
    """Only those who work in a doctor's room call patients (a pharmacist cannot)."""
    if not staff.may_use(Touchpoint.CLINIC):
        raise NotAllowed()


async def _refused(
    request: HTMXRequest, staff: StaffUser, access: ConsoleAccess, queue: Queue
) -> Template | None:
    """The 403 page for a queue this person may not run (None: they may). Under htmx it
    replaces the whole page, not the panel."""
    try:
        await access.check_may_run(staff, queue)
    except NotYourQueue as exc:
        headers = {"HX-Retarget": "body", "HX-Reswap": "innerHTML"} if request.htmx else {}
        return Template(
            "queue/not_your_queue.html",
            context={"staff": staff, "message": exc.message},
            status_code=403,
            headers=headers,
        )
    return None


@get("/staff/console", name="console-rooms", guards=[requires_staff], dependencies=dependencies)
async def rooms(
    staff: NamedDependency[StaffUser], console_access: NamedDependency[ConsoleAccess]
) -> Template:
    """The rooms this person may run today (a doctor: their own sessions first, then those they
    cover); a doctor picks theirs once."""
    _doctor(staff)
    queues = await console_access.rooms_for(staff)
    return Template("queue/console_rooms.html", context={"staff": staff, "queues": queues})


@get(
    "/staff/console/{queue_id:uuid}",
    name="console",
    guards=[requires_staff],
    dependencies=dependencies,
)
async def console(
    request: HTMXRequest,
    staff: NamedDependency[StaffUser],
    console_access: NamedDependency[ConsoleAccess],
    queue_views: NamedDependency[QueueViews],
    queue_id: FromPath[UUID],
) -> Template:
    _doctor(staff)
    queue = await queue_views.queue(queue_id)
    if refused := await _refused(request, staff, console_access, queue):
        return refused
    context = {"staff": staff, "error": None, "view": await queue_views.console(queue.id)}
    if request.htmx and request.htmx.target == PANEL:
        return Template("queue/_console_panel.html", context=context)
    return Template("queue/console.html", context=context)


def _ticket_id(form: FormMultiDict) -> UUID | None:
    """The ticket a button names (None when the form names none it could mean)."""
    try:
        return UUID(form_text(form, "ticket", 64))
    except ValueError:
        return None


@post(
    "/staff/console/{queue_id:uuid}/{action:str}",
    name="console-action",
    guards=[requires_staff],
    dependencies=dependencies,
)
async def console_action(
    request: HTMXRequest,
    staff: NamedDependency[StaffUser],
    console_access: NamedDependency[ConsoleAccess],
    calling_service: NamedDependency[CallingService],
    queue_views: NamedDependency[QueueViews],
    queue_id: FromPath[UUID],
    action: FromPath[str],
) -> Template | Redirect:
    """One click: next, again, missed or done. htmx swaps the panel; without it, back to the
    console."""
    _doctor(staff)
    if action not in ACTIONS:
        raise NotFound()
    queue = await queue_views.queue(queue_id)
    if refused := await _refused(request, staff, console_access, queue):
        return refused
    actor = staff.actor(request.client.host if request.client else None)
    form = await request.form()
    error = None
    try:
        if action == "next":
            seen = form.get("current")
            await calling_service.call_next(queue_id, actor, None if seen is None else str(seen))
        elif (ticket_id := _ticket_id(form)) is not None:
            operations = {
                "again": calling_service.call_again,
                "missed": calling_service.mark_missed,
                "done": calling_service.mark_done,
            }
            await operations[action](queue_id, ticket_id, actor)
    except RuleError as exc:
        error = exc.message
    if not request.htmx:
        return redirect_to(request, "console", queue_id=queue_id)
    context = {"staff": staff, "error": error, "view": await queue_views.console(queue_id)}
    return Template("queue/_console_panel.html", context=context)


route_handlers = [rooms, console, console_action]
