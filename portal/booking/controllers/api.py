"""The timetable import for the hospital's own systems: ``POST /api/v1/timetable``."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from portal.booking.imports import ImportRefused, import_timetable
from portal.booking.schemas import ImportProblems, ImportResult, TimetableImport
from portal.web.api import IMPORT_SECURITY, requires_import_token


@post(
    "/api/v1/timetable",
    name="api-timetable-import",
    guards=[requires_import_token],
    security=IMPORT_SECURITY,
    tags=["timetable"],
    summary="Import departments, doctors and sessions",
    description=(
        "Upserts departments, doctors and sessions (with their time slots) by the hospital's own "
        "codes, in one transaction: the same file sent twice changes nothing. A slot's capacity "
        "never drops below the places already booked, and a slot with bookings is closed rather "
        "than removed. Send `Authorization: Bearer <PORTAL_IMPORT_TOKEN>`."
    ),
    status_code=200,
    responses={
        401: ResponseSpec(data_container=dict, description="Missing or wrong import token"),
        422: ResponseSpec(
            data_container=ImportProblems,
            description="The timetable contradicts itself or what the portal holds; nothing changed",
        ),
    },
    opt={"skip_session": True},
)
async def import_timetable_api(
    request: Request[Any, Any, Any],
    data: JSONBody[TimetableImport],
    db_session: NamedDependency[AsyncSession],
) -> Response[ImportResult | ImportProblems]:
    try:
        result = await import_timetable(db_session, data, request.app.state.clock.zone)
    except ImportRefused as exc:
        return Response(
            ImportProblems(
                status=422, title="The timetable was not imported", problems=exc.problems
            ),
            status_code=422,
        )
    return Response(result, status_code=200)


route_handlers = [import_timetable_api]
