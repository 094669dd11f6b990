"""Bills from the hospital's own systems: ``POST /api/v1/bills`` and
``POST /api/v1/bills/{number}/voids``."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from portal.api.auth import api_caller, requires_scope
from portal.api.services import BILLS_WRITE
from portal.core.errors import NotFound
from portal.payments.imports import BillsRefused, import_bills, void_lines
from portal.payments.schemas import (
    NUMBER_PATTERN,
    BillsImport,
    BillsResult,
    VoidIn,
    VoidResult,
)
from portal.web.api import (
    CLIENT_SECURITY,
    ApiProblem,
    FieldError,
    error_responses,
    requires_json_body,
)
from portal.web.jsonbody import ApiRequest

REFUSED = "The bills were not imported"
LINES_REFUSED = "The lines were not voided"
MAX_BODY_BYTES = 5 * 1024 * 1024
NUMBER = re.compile(NUMBER_PATTERN)
MAX_NUMBER = 40


def _refused(exc: BillsRefused, title: str) -> ApiProblem:
    return ApiProblem(
        422, [FieldError(field=p.where, problem=p.what) for p in exc.problems], title=title
    )


def _actor(request: Request[Any, Any, Any]) -> Any:
    return api_caller(request).actor(request.client.host if request.client else None)


@post(
    "/api/v1/bills",
    name="api-bills-import",
    guards=[requires_scope(BILLS_WRITE), requires_json_body],
    request_class=ApiRequest,
    request_max_body_size=MAX_BODY_BYTES,
    security=CLIENT_SECURITY,
    tags=["bills"],
    summary="Add or update bills",
    description=(
        "Adds bills, or updates them by the hospital's bill number, in one transaction: the same "
        "bills sent twice change nothing. The patient is named by their e-card number or resident "
        "ID number. Money is whole fen (分). An unpaid bill takes the lines it is sent (a line "
        "left out is voided); a paid bill can no longer change. The total is always worked out "
        "here from the lines. Send the token of an API client with the scope `bills:write` as "
        "`Authorization: Bearer <token>`. Every refusal changes nothing and names each field at "
        "fault."
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
            "A field is wrong, a patient is unknown, or a bill contradicts what the portal holds "
            f"(title: {REFUSED!r}); nothing changed"
        ),
    ),
    opt={"skip_session": True},
)
async def import_bills_api(
    request: Request[Any, Any, Any],
    data: JSONBody[BillsImport],
    db_session: NamedDependency[AsyncSession],
) -> BillsResult:
    try:
        return await import_bills(db_session, data, _actor(request))
    except BillsRefused as exc:
        raise _refused(exc, REFUSED) from exc


@post(
    "/api/v1/bills/{number:str}/voids",
    name="api-bills-void",
    guards=[requires_scope(BILLS_WRITE), requires_json_body],
    request_class=ApiRequest,
    request_max_body_size=64 * 1024,
    security=CLIENT_SECURITY,
    tags=["bills"],
    summary="Void lines of an unpaid bill",
    description=(
        "Voids lines of an unpaid bill (a test cancelled, a medicine not given): they stay on the "
        "bill, shown as void, and count in no total. A bill with no line left is void. Voiding a "
        "line twice changes nothing. Scope `bills:write`."
    ),
    status_code=200,
    responses=error_responses(
        400,
        401,
        403,
        404,
        413,
        415,
        422,
        s404="There is no bill with this number; nothing changed",
        s422=f"A line the bill does not have, or a paid bill (title: {LINES_REFUSED!r})",
    ),
    opt={"skip_session": True},
)
async def void_bill_lines_api(
    request: Request[Any, Any, Any],
    number: Annotated[
        str,
        Parameter(
            pattern=NUMBER_PATTERN,
            min_length=1,
            max_length=MAX_NUMBER,
            description="The hospital's bill number",
        ),
    ],
    data: JSONBody[VoidIn],
    db_session: NamedDependency[AsyncSession],
) -> VoidResult:
    if not NUMBER.fullmatch(number) or len(number) > MAX_NUMBER:
        raise ApiProblem(
            404, [FieldError(field="number", problem=f"there is no bill numbered {number}")]
        )
    try:
        bill, voided = await void_lines(db_session, number, data.lines, _actor(request))
    except NotFound as exc:
        raise ApiProblem(404, [FieldError(field="number", problem=exc.message)]) from exc
    except BillsRefused as exc:
        raise _refused(exc, LINES_REFUSED) from exc
    return VoidResult(
        number=number,
        status=bill.status,  # type: ignore[arg-type]
        total_fen=bill.total_cents,
        voided=voided,
    )


route_handlers = [import_bills_api, void_bill_lines_api]
