"""The SMS sender the app was built with, for the providers of features that send texts."""

from __future__ import annotations

from typing import Any, cast

from litestar.connection import ASGIConnection

from portal.messaging.services import SmsSender


def sender_of(connection: ASGIConnection[Any, Any, Any, Any]) -> SmsSender:
    return cast(SmsSender, connection.app.state.sms_sender)
