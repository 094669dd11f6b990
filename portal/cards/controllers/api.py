"""The scan API for desks and scanners: ``POST /api/v1/scans``."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from portal.api.auth import api_caller, requires_api_client
from portal.cards.dependencies import provide_scan_service
from portal.cards.schemas import ScannedPatient, ScanRequest, ScanResponse
from portal.cards.services import ScanService
from portal.web.api import (
    CLIENT_SECURITY,
    ApiProblem,
    FieldError,
    error_responses,
    requires_json_body,
)
from portal.web.jsonbody import ApiRequest
from portal.web.ratelimit import RateLimiter

SCANS_PER_MINUTE = 600
"""Per API client: a busy desk scans a patient every few seconds, not ten times a second."""


@post(
    "/api/v1/scans",
    name="api-scan",
    tags=["scans"],
    guards=[requires_api_client, requires_json_body],
    request_class=ApiRequest,
    request_max_body_size=16 * 1024,
    security=CLIENT_SECURITY,
    dependencies={"scan_service": Provide(provide_scan_service)},
    status_code=200,
    summary="Verify a scanned card at a touchpoint",
    responses=error_responses(400, 401, 403, 413, 415, 422, 429),
)
async def api_scan(
    request: Request[Any, Any, Any],
    data: JSONBody[ScanRequest],
    scan_service: NamedDependency[ScanService],
    rate_limiter: NamedDependency[RateLimiter],
) -> ScanResponse:
    """Verify what a scanner read (the QR text, the barcode's card number, or a typed number) for a
    touchpoint. Requires `Authorization: Bearer <token>` of a client with the scope
    `scan:<touchpoint>` (or `scan:*`). Every scan, accepted or refused, is audited; a refused
    code is still a 200 whose `outcome` says why. The answer never contains the full name or ID
    number. A client may scan 600 times a minute; past that it gets 429 with `Retry-After`."""
    caller = api_caller(request)
    touchpoint = data.touchpoint.value
    if not caller.allows(f"scan:{touchpoint}", "scan:*"):
        raise ApiProblem(
            403,
            [FieldError(field="touchpoint", problem=f"this client may not scan at {touchpoint}")],
        )
    if not await rate_limiter.hit(f"api-scan:{caller.id}", SCANS_PER_MINUTE, 60):
        raise ApiProblem(
            429,
            detail=f"This client sent more than {SCANS_PER_MINUTE} scans in a minute; wait a minute.",
            headers={"Retry-After": "60"},
        )
    address = request.client.host if request.client else None
    result = await scan_service.scan(data.code, data.touchpoint, caller.actor(address))
    body = result.as_json()
    patient = body.pop("patient")
    return ScanResponse(**body, patient=ScannedPatient(**patient) if patient else None)


route_handlers = [api_scan]
