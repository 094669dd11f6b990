"""The timetable import for the hospital's own systems: ``POST /api/v1/timetable``."""

from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from portal.api.auth import requires_scope
from portal.api.services import TIMETABLE_WRITE
from portal.booking.dependencies import provide_clock
from portal.booking.imports import ImportRefused, import_timetable
from portal.booking.schemas import ImportResult, TimetableImport
from portal.core.clock import Clock
from portal.web.api import (
    CLIENT_SECURITY,
    ApiProblem,
    FieldError,
    error_responses,
    requires_json_body,
)
from portal.web.jsonbody import ApiRequest

REFUSED = "The timetable was not imported"
MAX_BODY_BYTES = 10 * 1024 * 1024


@post(
    "/api/v1/timetable",
    name="api-timetable-import",
    guards=[requires_scope(TIMETABLE_WRITE), requires_json_body],
    dependencies={"clock": Provide(provide_clock)},
    request_class=ApiRequest,
    request_max_body_size=MAX_BODY_BYTES,
    security=CLIENT_SECURITY,
    tags=["timetable"],
    summary="Import departments, doctors and sessions",
    description=(
        "Upserts departments, doctors and sessions (with their time slots) by the hospital's own "
        "codes, in one transaction: the same file sent twice changes nothing. A slot's capacity "
        "never drops below the places already booked, and a slot with bookings is closed rather "
        "than removed. Send the token of an API client with the scope `timetable:write` as "
        "`Authorization: Bearer <token>` and the timetable as `application/json` (at most "
        "10 MiB). Every refusal changes nothing and answers an `ApiError` that names each field "
        "at fault."
    ),
    status_code=200,
    responses=error_responses(
        400,
        401,
        403,
        413,
        415,
        422,
        s422=(
            "A field is wrong, or the timetable contradicts itself or what the portal holds "
            f"(title: {REFUSED!r}); nothing changed"
        ),
    ),
    opt={"skip_session": True},
)
async def import_timetable_api(
    data: JSONBody[TimetableImport],
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
) -> ImportResult:
    try:
        return await import_timetable(db_session, data, clock.zone)
    except ImportRefused as exc:
        raise ApiProblem(
            422,
            [FieldError(field=p.where, problem=p.what) for p in exc.problems],
            title=REFUSED,
        ) from exc


route_handlers = [import_timetable_api]
