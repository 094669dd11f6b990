"""Counting what a request asks the database: the statements an app's engine sends (transaction
bookkeeping aside) while a ``with`` block runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.support.client import PortalClient

BOOKKEEPING = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class Asked:
    """``with Asked(client) as sent:`` collects the statements sent inside the block."""

    def __init__(self, client: PortalClient) -> None:
        self.engine = client.app.state.db_sessions.kw["bind"].sync_engine
        self.sent: list[str] = []

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self.sent

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(BOOKKEEPING):
            self.sent.append(" ".join(statement.split())[:160])
