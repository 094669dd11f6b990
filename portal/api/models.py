"""A hospital system or scanner that may call the API."""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base


class ApiClient(Base):
    """A named caller with a hashed bearer token and the scopes it may use
    (``scan:<touchpoint>`` to verify cards at a desk, ``import`` to load hospital data)."""

    __tablename__ = "api_client"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes_csv: Mapped[str] = mapped_column(String(400), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def scopes(self) -> set[str]:
        return {s for s in self.scopes_csv.split(",") if s}
