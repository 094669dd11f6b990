"""A test client that behaves like a browser with a form: it sends the CSRF token back."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient

CODE_PATTERN = re.compile(r"\b(\d{6})\b")


class PortalClient(TestClient):  # type: ignore[type-arg]
    """Litestar's client plus the habits of a patient's browser."""

    def csrf_token(self) -> str:
        token = self.cookies.get("ymt_csrf")
        if not token:
            self.get("/")
            token = self.cookies.get("ymt_csrf")
        assert token, "the app did not set a CSRF cookie"
        return token

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form the way a browser would, with the hidden CSRF field."""
        form = {"_csrf_token": self.csrf_token(), **(data or {})}
        kwargs.setdefault("follow_redirects", False)
        return self.post(url, data=form, **kwargs)

    def latest_code(self, phone: str) -> str:
        """Read the newest login code sent to a phone from the development outbox."""
        page = self.get("/dev/outbox").text
        for block in page.split('<li class="panel">')[1:]:
            if phone in block:
                match = CODE_PATTERN.search(block.split("outbox-body", 1)[1])
                assert match, block
                return match.group(1)
        raise AssertionError(f"no message to {phone} in the outbox")

    def log_in(self, phone: str = "13700000001") -> None:
        """Log in through the real pages: ask for a code, read it from the outbox, type it."""
        response = self.submit("/login/code", {"phone": phone})
        assert response.status_code == 303, response.text
        response = self.submit("/login/verify", {"code": self.latest_code(phone)})
        assert response.status_code == 303, response.text

    def db(self, work: Any) -> Any:
        """Run ``await work(session)`` on the app's own database, inside the app's event loop."""

        async def run() -> Any:
            async with self.app.state["db_sessions"]() as session:
                return await work(session)

        assert self.blocking_portal is not None
        return self.blocking_portal.call(run)

    def add_member(self, **fields: str) -> Any:
        return self.submit("/patients", fields)

    def join_with_consent(self, patient_phone: str, response: Any) -> Any:
        """Finish adding someone the hospital already knows: the code they received (on the phone
        the hospital has for them) is typed in, as the family member would after asking them."""
        assert (
            response.status_code == 303 and response.headers["location"] == "/patients/confirm"
        ), response.text
        return self.submit("/patients/confirm", {"code": self.latest_code(patient_phone)})
