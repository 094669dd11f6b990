"""Cover for a colleague: a nurse or an administrator lets a doctor run another room's queue for
the rest of the day (choose the room, choose the doctor). Plain forms; every change audited."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.core.errors import NotAllowed, RuleError
from portal.queue.dependencies import provide_cover_service
from portal.queue.services import CoverService
from portal.staff.auth import StaffUser, provide_staff, requires_staff
from portal.web.forms import FormState, form_text
from portal.web.redirects import redirect_to


async def requires_cover_assigner(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    await requires_staff(connection, handler)
    staff = await provide_staff(connection)
    if not staff.may_assign_cover:
        raise NotAllowed()


dependencies = {"staff": Provide(provide_staff), "cover_service": Provide(provide_cover_service)}
guards = [requires_cover_assigner]


def _address(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


def _chosen(text: str) -> UUID | None:
    """The id a radio button sent (None when nothing, or nothing readable, was chosen)."""
    try:
        return UUID(text)
    except ValueError:
        return None


async def _page(
    staff: StaffUser, cover_service: CoverService, form: FormState, status_code: int = 200
) -> Template:
    queues = await cover_service.rooms_today()
    doctors = await cover_service.doctors()
    return Template(
        "queue/cover.html",
        context={
            "staff": staff,
            "form": form,
            # (value, label) pairs for the two lists
            "queues": [(str(q.id), f"{q.room} · {q.name} · {q.doctor_name}") for q in queues],
            "doctors": [(str(d.id), f"{d.display_name} ({d.username})") for d in doctors],
            "covers": await cover_service.covers_today(),
        },
        status_code=status_code,
    )


@get("/staff/cover", name="cover", guards=guards, dependencies=dependencies)
async def cover_page(
    staff: NamedDependency[StaffUser], cover_service: NamedDependency[CoverService]
) -> Template:
    """Today's covers, and the form that adds one."""
    return await _page(staff, cover_service, FormState())


@post("/staff/cover", name="cover-submit", guards=guards, dependencies=dependencies)
async def cover_submit(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffUser],
    cover_service: NamedDependency[CoverService],
) -> Template | Redirect:
    data = await request.form()
    form = FormState(
        values={"queue": form_text(data, "queue", 64), "doctor": form_text(data, "doctor", 64)}
    )
    try:
        await cover_service.assign(
            _chosen(form.value("queue")),
            _chosen(form.value("doctor")),
            staff.actor(_address(request)),
        )
    except RuleError as exc:
        await cover_service.session.rollback()
        return await _page(staff, cover_service, form.add(exc), status_code=400)
    return redirect_to(request, "cover")


@post(
    "/staff/cover/{cover_id:uuid}/end", name="cover-end", guards=guards, dependencies=dependencies
)
async def cover_end(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffUser],
    cover_service: NamedDependency[CoverService],
    cover_id: FromPath[UUID],
) -> Redirect:
    """Take a cover back before the day ends."""
    await cover_service.end(cover_id, staff.actor(_address(request)))
    return redirect_to(request, "cover")


route_handlers = [cover_page, cover_submit, cover_end]
