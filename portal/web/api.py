"""What the JSON API for the hospital's own systems shares: the import token and its OpenAPI entry."""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Components, SecurityScheme

IMPORT_TOKEN_SCHEME = "importToken"  # noqa: S105 - the scheme's name, not a secret
IMPORT_SECURITY: list[dict[str, list[str]]] = [{IMPORT_TOKEN_SCHEME: []}]


def openapi_components() -> Components:
    """Security schemes for /schema: hospital systems send ``Authorization: Bearer <token>``."""
    return Components(
        security_schemes={
            IMPORT_TOKEN_SCHEME: SecurityScheme(
                type="http",
                scheme="bearer",
                description=(
                    "The hospital's import token (PORTAL_IMPORT_TOKEN), sent as "
                    "`Authorization: Bearer <token>` by its own systems (HIS)."
                ),
            )
        }
    )


def requires_import_token(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: the request carries the configured import token (compared in constant time)."""
    expected = connection.app.state.settings.imports.token
    scheme, _sep, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected.encode()
    ):
        raise NotAuthorizedException(
            detail="Send the import token as: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="import"'},
        )
