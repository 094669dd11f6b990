"""Ids named in links and forms, paths of named routes, and what a home tile links to."""

from __future__ import annotations

from uuid import UUID

import pytest
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.testing import RequestFactory

from portal.core.errors import NotFound
from portal.web.forms import named_id
from portal.web.redirects import redirect_to, route_path
from portal.web.tiles import Tile

SOME_ID = "0195a0b1-7c3e-7d2a-9f00-123456789abc"


def test_an_id_in_a_link_is_a_uuid() -> None:
    assert named_id(SOME_ID) == UUID(SOME_ID)


@pytest.mark.parametrize("text", [None, ""])
def test_no_id_names_nobody(text: str | None) -> None:
    assert named_id(text) is None


@pytest.mark.parametrize("text", ["abc", "1 OR 1=1", "x" * 300, "王", SOME_ID + "0"])
def test_a_malformed_id_is_not_found_like_an_unknown_one(text: str) -> None:
    with pytest.raises(NotFound):
        named_id(text)


@get("/patients/{patient_id:uuid}/edit", name="patient-edit", sync_to_thread=False)
def edit(patient_id: FromPath[UUID]) -> None: ...


@get("/ecard", name="ecard", sync_to_thread=False)
def card() -> None: ...


def request_in(app: Litestar) -> object:
    return RequestFactory(app=app).get("/")


def test_a_named_route_gives_its_path_with_a_query_when_asked() -> None:
    request = request_in(Litestar([edit, card]))
    assert route_path(request, "patient-edit", patient_id=UUID(SOME_ID)) == (
        f"/patients/{SOME_ID}/edit"
    )
    assert route_path(request, "ecard", {"patient": SOME_ID, "reissued": 1}) == (
        f"/ecard?patient={SOME_ID}&reissued=1"
    )
    assert route_path(request, "ecard", {"patient": None}) == "/ecard"


def test_after_a_form_the_visitor_is_sent_to_see_the_named_page() -> None:
    response = redirect_to(request_in(Litestar([edit, card])), "ecard", {"patient": SOME_ID})
    assert response.status_code == 303
    assert response.url == f"/ecard?patient={SOME_ID}"


def test_a_tile_names_its_page_by_route_or_else_by_path_but_not_both() -> None:
    assert Tile(key="a", label="A", hint="", icon="i", group="me", route="ecard").route
    assert Tile(key="b", label="B", hint="", icon="i", group="me", href="/queue").href
    with pytest.raises(ValueError, match="route name"):
        Tile(key="c", label="C", hint="", icon="i", group="me")
    with pytest.raises(ValueError, match="route name"):
        Tile(key="d", label="D", hint="", icon="i", group="me", route="ecard", href="/ecard")
