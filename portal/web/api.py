"""What the JSON API for the hospital's own systems shares: its bearer-token scheme, its one
error shape (``ApiError``, documented on every operation) and the guard that wants a JSON body.

Machines read these answers, so their text is English and the same in every locale. Every error
names what was wrong (a field of the body, a header) and says what is expected, in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme
from msgspec import Meta

CLIENT_TOKEN_SCHEME = "apiClientToken"  # noqa: S105 - the scheme's name, not a secret
CLIENT_SECURITY: list[dict[str, list[str]]] = [{CLIENT_TOKEN_SCHEME: []}]

JSON_MEDIA_TYPE = "application/json"
BODY = "body"
"""The field named when the body as a whole is at fault (missing, not JSON, not an object)."""


class FieldError(msgspec.Struct, kw_only=True):
    """One thing wrong with a request."""

    field: Annotated[
        str,
        Meta(
            description=(
                "Where: a path into the JSON body (`sessions[0].fee`), `body` for the body as a "
                "whole, or a header's name (`Authorization`, `Content-Type`)"
            )
        ),
    ]
    problem: Annotated[
        str, Meta(description="What is wrong and what is expected, in plain English words")
    ]


class ApiError(msgspec.Struct, kw_only=True):
    """Every error from /api/v1 has this shape, whatever its status."""

    status: Annotated[int, Meta(description="The HTTP status code, repeated")]
    title: Annotated[str, Meta(description="A short summary of the kind of error")]
    detail: Annotated[
        str,
        Meta(description="What went wrong, in plain words; it names the fields at fault"),
    ]
    errors: Annotated[
        list[FieldError],
        Meta(description="One entry per problem found; empty when no field is at fault"),
    ]


TITLES = {
    400: "The request could not be read",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "The request body is too large",
    415: "The request body must be JSON",
    422: "The request body is not valid",
    429: "Too many requests",
    500: "Something went wrong on our side",
}

_WHEN = {
    400: "The body is missing or is not JSON",
    401: "The bearer token is missing or not valid",
    403: "The token is valid but may not do this",
    413: "The body is larger than this operation accepts",
    415: "The body is sent with a Content-Type other than application/json",
    422: "The body is JSON but a field is wrong; nothing was changed",
    429: "Too many requests from this client in a short time; wait and send again",
}


class ApiProblem(HTTPException):
    """An error the API answers with an ``ApiError`` body: a status, a title, and the fields at
    fault with what is wrong with each."""

    def __init__(
        self,
        status_code: int,
        errors: Sequence[FieldError] = (),
        *,
        detail: str = "",
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.errors = list(errors)
        self.title = title or TITLES.get(status_code, "Error")
        detail = detail or describe(self.errors) or self.title
        super().__init__(detail=detail, status_code=status_code, headers=headers)


def describe(errors: Sequence[FieldError], at_most: int = 5) -> str:
    """One sentence for ``detail``: every problem as ``field: problem``."""
    parts = [f"{e.field}: {e.problem}" for e in errors[:at_most]]
    if len(errors) > at_most:
        parts.append(f"and {len(errors) - at_most} more")
    return "; ".join(parts)


def error_responses(*statuses: int, **descriptions: str) -> dict[int, ResponseSpec]:
    """OpenAPI responses for the errors an operation can answer, all with the ``ApiError`` shape.
    ``descriptions`` (``s422="…"``) replaces the generic description of a status."""
    return {
        status: ResponseSpec(
            data_container=ApiError,
            description=descriptions.get(f"s{status}", _WHEN.get(status, TITLES[status])),
            generate_examples=False,
        )
        for status in statuses
    }


def openapi_components() -> Components:
    """Security schemes for /schema: callers send ``Authorization: Bearer <token>``."""
    return Components(
        security_schemes={
            CLIENT_TOKEN_SCHEME: SecurityScheme(
                type="http",
                scheme="bearer",
                description=(
                    "The token of a registered API client (the hospital's own systems, a scanner "
                    "or a desk system), sent as `Authorization: Bearer <token>`; its scopes say "
                    "what it may do: `timetable:write`, `bills:write`, `fhir:write`, "
                    "`scan:<touchpoint>` or `scan:*`."
                ),
            ),
        }
    )


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or None when there is none."""
    scheme, _sep, token = connection.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def not_authenticated(problem: str, realm: str) -> ApiProblem:
    return ApiProblem(
        401,
        [FieldError(field="Authorization", problem=problem)],
        headers={"WWW-Authenticate": f'Bearer realm="{realm}"'},
    )


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == JSON_MEDIA_TYPE or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def requires_json_body(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard (after authentication): there is a body, sent as JSON. Reading it here also answers
    413 for a body over the operation's size limit before anything else is done."""
    body = await connection.body()  # type: ignore[attr-defined]  # HTTP routes get a Request
    if not body:
        raise ApiProblem(
            400, [FieldError(field=BODY, problem="is missing: send the request as a JSON object")]
        )
    content_type = connection.headers.get("content-type", "")
    if not _is_json(content_type):
        shown = content_type.partition(";")[0].strip() or "nothing"
        raise ApiProblem(
            415,
            [FieldError(field="Content-Type", problem=f"must be application/json, not {shown}")],
        )
