"""Every form of the portal, fuzzed: whatever a browser (or a script) posts, no page answers 5xx
and nothing is left half-written.

The routes come from the app itself (every route that takes POST, less /api/, which schemathesis
fuzzes, and the payment sandbox's signed API under /dev/pay/v3/), the field names from the source
(tests.support.fuzzing); two guard tests fail when a route or a field appears that this file
cannot fuzz. Each route is posted to by the right visitor (tests.support.visitors) with a valid
CSRF token, real ids in its path (sometimes text), and forms built by Hypothesis: valid-looking
values, hostile text, missing, repeated and unknown fields, multipart and broken bodies. The
database's invariants are checked after every route.

PORTAL_TEST_FUZZ_SEED changes the inputs (CI keeps the default); PORTAL_TEST_FUZZ_EXAMPLES sets
how many forms are posted in all, per database. ``pytest -s`` prints the answers by route and
status.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import portal
from portal.accounts.idnumber import make_id_number
from portal.accounts.services import RELATIONSHIPS
from portal.app import create_app
from portal.core.touchpoints import Touchpoint
from tests.conftest import StillClock, make_settings
from tests.support.cards import STAFF_PASSWORD
from tests.support.client import PortalClient
from tests.support.fuzzing import PostRoute, ServerErrors, Tally, form_fields_read, post_routes
from tests.support.hostile import CSRF_FIELD, hostile_text, post_form
from tests.support.invariants import broken_invariants
from tests.support.visitors import (
    ADMIN,
    ANONYMOUS,
    DECOY_USERNAME,
    KIOSK,
    PATIENT,
    Visitors,
    World,
)

SEED = int(os.environ.get("PORTAL_TEST_FUZZ_SEED", "20261202"))
EXAMPLES = int(os.environ.get("PORTAL_TEST_FUZZ_EXAMPLES", "2100"))
ONLY = os.environ.get("PORTAL_TEST_FUZZ_ROUTES", "")
"""A regular expression: fuzz only the routes it finds (to reproduce one route's failure)."""
NOT_FUZZED_HERE = ("/api/", "/dev/pay/v3/")
Strategy = st.SearchStrategy[Any]

# -- valid-looking values, by field name --------------------------------------------------------


class Now:
    """What exists while an example is drawn (strategies look real objects up here)."""

    world = World()


def real(kind: str) -> Strategy:
    """A real object of a kind (World.kinds), looked up when drawn."""
    return st.integers(0, 1 << 16).map(lambda index: Now.world.pick(kind, index))


PHONES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
ID_NUMBERS = st.builds(
    make_id_number,
    st.from_regex(r"[1-6][0-9]{5}", fullmatch=True),
    st.dates(date(1890, 1, 1), date(2026, 11, 24)),
    st.integers(0, 999),
)
UUIDS = st.uuids().map(str)
NEXT = ["/", "/patients", "/appointments?joined=1", "//evil.example", "https://evil.example/"]
NEXT += ["/\\evil.example", "javascript:alert(1)", "/staff", "/%0d%0aSet-Cookie:x=1", "/ecard#x"]
NAMES = ["李静", "王秀英", "欧阳娜娜", "买买提·艾力", "Ana María", "O'Brien", "门诊大厅 1 号机"]

FIELD_VALUES: dict[str, Strategy] = {
    "phone": st.one_of(real("phones"), PHONES, st.just("+86 139-1234-5678")),
    "next": st.sampled_from(NEXT),
    "code": st.one_of(real("scans"), st.from_regex(r"[0-9]{6}", fullmatch=True)),
    "name": st.one_of(real("names"), st.sampled_from(NAMES)),
    "id_number": st.one_of(real("id_numbers"), ID_NUMBERS),
    "relationship": st.sampled_from(RELATIONSHIPS),
    "patient": real("family_ids"),
    "slot": real("slots"),
    "session": real("schedules"),
    "ticket": real("tickets"),
    "queue": real("queues"),
    "doctor": real("doctors"),
    "current": st.one_of(real("ticket_texts"), st.just("")),
    "username": st.sampled_from([DECOY_USERNAME, "nobody", "Admin", "root"]),
    "password": st.sampled_from([STAFF_PASSWORD, "wrong-password", "correct-horse"]),
    "mode": st.sampled_from(["elder", "standard", "ELDER", "dark"]),
    "locale": st.sampled_from(["zh_Hans", "en", "zh-CN", "zh_Hant", "fr", "en_US"]),
    "scheme": st.sampled_from(["urban_employee", "urban_rural_resident", "self_pay", "SELF_PAY"]),
    "bills": st.one_of(real("ids"), UUIDS),
    "bill": st.one_of(real("ids"), UUIDS, st.just("")),
    "method": st.sampled_from(["cash", "card", "wechat", ""]),
    "key": st.from_regex(r"[A-Za-z0-9_-]{0,80}", fullmatch=True),
    "expected": st.one_of(st.integers(-100, 10**10).map(str), st.just("")),
    # The payment sandbox's payer page and chaos controls (development only).
    "action": st.sampled_from(["pay", "fail", "cancel", ""]),
    "redirect_url": st.sampled_from(NEXT),
    "delay_seconds": st.integers(-5, 10**7).map(str),
    "duplicates": st.integers(-5, 100).map(str),
    "drop_next": st.integers(-5, 10**6).map(str),
    "reorder": st.sampled_from(["on", "", "off"]),
    # A kiosk's pass to pay for the patient it scanned: patient.issued.signature.
    "pass": st.tuples(
        UUIDS, st.integers(0, 2_000_000_000), st.from_regex(r"[0-9a-f]{32}", fullmatch=True)
    ).map(lambda parts: ".".join(map(str, parts))),
}
"""What a field holds when a person fills it in as meant (real objects where it names one; the
account's own where it names a patient). Anything else comes from ANY_VALUE."""
FIELDS = sorted(FIELD_VALUES)
"""Every form field the fuzzer fills: the guard test holds it to what the source reads."""


def any_value(name: str) -> Strategy:
    """A field's value: as meant, hostile, another field's value, a real id of any kind (another
    family's patients too) or a made-up one."""
    meant = FIELD_VALUES[name]
    return st.one_of(
        meant,
        hostile_text(meant),
        st.sampled_from(FIELDS).flatmap(lambda other: FIELD_VALUES[other]),
        real("ids"),
        UUIDS,
    )


ANY_VALUE = {name: any_value(name) for name in FIELDS}

# -- the forms of each route, meant as the page means them ---------------------------------------

MEMBER_FORM = st.one_of(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(NAMES[:5]),
            "id_number": ID_NUMBERS,
            "phone": PHONES,
            "relationship": st.sampled_from(RELATIONSHIPS),
        }
    ),
    # Someone who exists: joining them asks for their consent.
    st.tuples(real("members"), st.sampled_from(["", "parent", "child"])).map(
        lambda pair: {
            "name": pair[0].name,
            "id_number": pair[0].id_number,
            "phone": pair[0].phone,
            "relationship": pair[1] or pair[0].relationship,
        }
    ),
)
"""A family member: new, or one that exists."""


def fields_of(*names: str) -> Strategy:
    """A form of the named fields, each filled as meant."""
    return st.fixed_dictionaries({name: FIELD_VALUES[name] for name in names})


NO_FIELDS = fields_of()


@dataclass(frozen=True)
class Spec:
    """How to fuzz one route: who posts (a role drawn per example; repeat one to weight it),
    the form as the page means it, whether it may end the login, and what to set up first."""

    roles: tuple[str, ...]
    form: Strategy = NO_FIELDS
    ends_login: bool = False
    prepare: Callable[[Visitors, World], None] | None = None


def ask_code(visitors: Visitors, world: World) -> None:
    """An anonymous visitor asks for a login code for a fresh phone (then types codes)."""
    visitors.client.submit("/login/code", {"phone": visitors.fresh_phone()})


def ask_consent(visitors: Visitors, world: World) -> None:
    """The patient adds someone the hospital knows: a code goes to that person's phone."""
    theirs = [m for m in world.strangers if m.id not in {f.id for f in world.family}]
    if theirs:
        m = theirs[0]
        visitors.client.add_member(
            name=m.name, id_number=m.id_number, phone=m.phone, relationship="parent"
        )


def ask_phone_change(visitors: Visitors, world: World) -> None:
    """The patient corrects the phone of a parent another account shares: the old phone must
    agree, so a code goes to it and the page at /patients/<id>/phone asks for it."""
    for m in world.family:
        if m.relationship == "parent":
            form = {"name": m.name, "id_number": m.id_number, "relationship": m.relationship}
            visitors.client.submit(
                f"/patients/{m.id}/edit", {**form, "phone": visitors.fresh_phone()}
            )


ANYONE = (ANONYMOUS, PATIENT, ADMIN, KIOSK)
SPECS: dict[str, Spec] = {
    "/login/code": Spec((ANONYMOUS,), fields_of("phone", "next")),
    "/login/verify": Spec((ANONYMOUS,), fields_of("code"), ends_login=True, prepare=ask_code),
    "/logout": Spec(ANYONE, ends_login=True),
    "/patients": Spec((PATIENT,), MEMBER_FORM),
    "/patients/{patient_id}/edit": Spec((PATIENT,), MEMBER_FORM),
    "/patients/{patient_id}/remove": Spec((PATIENT,)),
    "/patients/{patient_id}/choose": Spec((PATIENT,), fields_of("next")),
    "/patients/confirm": Spec((PATIENT,), fields_of("code"), prepare=ask_consent),
    "/patients/confirm/resend": Spec((PATIENT,), prepare=ask_consent),
    "/patients/{patient_id}/phone": Spec((PATIENT,), fields_of("code"), prepare=ask_phone_change),
    "/patients/{patient_id}/phone/resend": Spec((PATIENT,), prepare=ask_phone_change),
    "/settings/mode": Spec(ANYONE, fields_of("mode", "next")),
    "/settings/language": Spec(ANYONE, fields_of("locale", "next")),
    "/settings/elder-offer": Spec((PATIENT, PATIENT, ANONYMOUS)),
    "/staff/login": Spec((ANONYMOUS,), fields_of("username", "password", "next"), ends_login=True),
    "/staff/logout": Spec((ADMIN, ANONYMOUS, KIOSK, PATIENT), ends_login=True),
    "/staff/scan/{desk}": Spec((ADMIN, ADMIN, ADMIN, PATIENT), fields_of("code")),
    "/staff/console/{queue_id}/{action}": Spec(
        (ADMIN, ADMIN, ADMIN, KIOSK), fields_of("ticket", "current")
    ),
    "/staff/accounts/{staff_id}/unlock": Spec((ADMIN, ADMIN, ADMIN, KIOSK)),
    "/staff/cover": Spec((ADMIN, ADMIN, ADMIN, PATIENT), fields_of("queue", "doctor")),
    "/staff/cover/{cover_id}/end": Spec((ADMIN, ADMIN, ADMIN, ANONYMOUS)),
    "/staff/kiosk": Spec((ADMIN, ADMIN, ADMIN, PATIENT), fields_of("name"), ends_login=True),
    "/kiosk": Spec((KIOSK, KIOSK, KIOSK, ANONYMOUS), fields_of("code")),
    "/kiosk/pay": Spec((KIOSK, KIOSK, KIOSK, ANONYMOUS), fields_of("pass", "key")),
    "/ecard/reissue": Spec((PATIENT,), fields_of("patient")),
    "/booking/appointments": Spec((PATIENT,), fields_of("slot", "patient")),
    "/booking/waitlist": Spec((PATIENT,), fields_of("session", "patient")),
    "/appointments/{appointment_id}/cancel": Spec((PATIENT,)),
    "/appointments/offers/{entry_id}/accept": Spec((PATIENT,)),
    "/appointments/offers/{entry_id}/decline": Spec((PATIENT,)),
    "/appointments/waitlist/{entry_id}/leave": Spec((PATIENT,)),
    "/bills/insurance/{patient_id}": Spec((PATIENT, PATIENT, ANONYMOUS), fields_of("scheme")),
    "/bills/pay": Spec((PATIENT, PATIENT, ANONYMOUS), fields_of("patient", "bill", "key")),
    "/staff/cashier/payments": Spec(
        (ADMIN, ADMIN, ADMIN, PATIENT), fields_of("patient", "bills", "method", "key", "expected")
    ),
    "/dev/pay/checkout/{prepay_id}": Spec(ANYONE, fields_of("action", "redirect_url")),
    "/dev/pay/chaos": Spec(
        ANYONE, fields_of("delay_seconds", "duplicates", "drop_next", "reorder")
    ),
    "/{unknown}": Spec(ANYONE),
}

# -- path parameters -----------------------------------------------------------------------------

# Path text stops at 2,000 characters: httpx refuses addresses over 64 KiB (and proxies in front
# of the portal refuse far less); the form fields take the 10,000-character values.
PATH_TEXT = hostile_text().map(lambda text: quote(text[:2000], safe=""))


OTHERS = st.one_of(UUIDS, PATH_TEXT)
UNKNOWN_PATHS = st.sampled_from(["", "patients/", "staff/", "kiosk/", "booking/x/"]).flatmap(
    lambda prefix: PATH_TEXT.map(lambda text: prefix + text)
)
PATH_VALUES: dict[str, tuple[Strategy, Strategy]] = {
    "patient_id": (real("family_ids"), st.one_of(real("stranger_ids"), OTHERS)),
    "appointment_id": (real("appointments"), st.one_of(real("others_appointments"), OTHERS)),
    "entry_id": (real("entries"), st.one_of(real("others_entries"), OTHERS)),
    "queue_id": (real("queues"), OTHERS),
    "staff_id": (real("staff"), OTHERS),
    "cover_id": (real("covers"), OTHERS),
    "desk": (st.sampled_from([t.value for t in Touchpoint]), st.just("TRIAGE") | PATH_TEXT),
    "action": (st.sampled_from(["next", "again", "missed", "done"]), st.just("skip") | PATH_TEXT),
    "unknown": (UNKNOWN_PATHS, UNKNOWN_PATHS),
    "prepay_id": (st.from_regex(r"wx[0-9a-f]{32}", fullmatch=True), PATH_TEXT),
}
"""For each path parameter: a real object of the kind it names (the account's own), and what
else comes (others' objects, made-up ids, text)."""
PARAMETERS = sorted(PATH_VALUES)


# -- one post ------------------------------------------------------------------------------------

MEANT = 0.8
"""How often a path parameter names a real object of its kind, and a form starts as meant."""


def draw_path(data: st.DataObject, rnd: Random, route: PostRoute) -> str:
    values = {}
    for name in route.parameters:
        meant, other = PATH_VALUES[name]
        values[name] = data.draw(meant if rnd.random() < MEANT else other)
    return re.sub(r"\{(\w+):\w+\}", lambda m: values[m.group(1)], route.path)


def draw_form(data: st.DataObject, rnd: Random, spec: Spec) -> list[tuple[str, str]]:
    """The fields to post, in order: the form as meant (or not), then a few fields set to
    anything, dropped or sent twice, and sometimes unknown fields."""
    form: dict[str, list[str]] = {}
    if rnd.random() < MEANT:
        form = {k: [v] for k, v in data.draw(spec.form).items()}
    for name in rnd.sample(FIELDS, rnd.choice([0, 0, 1, 1, 1, 2, 3])):
        change = rnd.choice(["set", "set", "drop", "twice"])
        if change == "drop":
            form.pop(name, None)
        else:
            first = data.draw(ANY_VALUE[name])
            form[name] = [first] if change == "set" else [first, data.draw(ANY_VALUE[name])]
    for _ in range(rnd.choice([0, 0, 0, 0, 1, 2])):
        name = data.draw(st.text(min_size=1, max_size=12))
        form.setdefault(name, []).append(data.draw(hostile_text()))
    return [(name, value) for name, values in form.items() for value in values]


def lost_login(role: str, response: Any) -> bool:
    """The answer says this visitor may no longer be who they were (sent to a login page; a
    kiosk refused: no longer a kiosk, or only a bad token)."""
    target = response.headers.get("location", "") + response.headers.get("hx-redirect", "")
    login = {PATIENT: "/login", ADMIN: "/staff/login"}.get(role)
    if login and target.startswith(login):
        return True
    return role == KIOSK and response.status_code == 403


# -- the tests -----------------------------------------------------------------------------------


def shape(path: str) -> str:
    """A route's path without its parameters' types: ``/patients/{patient_id}/edit``."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def fuzzed_routes() -> list[PostRoute]:
    app = create_app(make_settings("sqlite+aiosqlite:///:memory:"))
    return post_routes(app, exclude=NOT_FUZZED_HERE)


def test_every_post_route_is_one_the_fuzzer_knows() -> None:
    """A POST route added tomorrow fails here until SPECS says who posts to it; a route that is
    gone fails too (its spec would fuzz nothing)."""
    routes = {shape(route.path): route for route in fuzzed_routes()}
    assert sorted(set(routes) - set(SPECS)) == [], "POST routes the fuzzer cannot classify"
    assert sorted(set(SPECS) - set(routes)) == [], "specs for routes that no longer exist"
    unknown = {p for route in routes.values() for p in route.parameters} - set(PARAMETERS)
    assert not unknown, f"path parameters the fuzzer has no values for: {sorted(unknown)}"


def test_every_form_field_the_portal_reads_is_fuzzed() -> None:
    scan = form_fields_read(Path(portal.__file__).parent)
    assert scan.problems == [], "form reads the fuzzer cannot name"
    fuzzed = {*FIELDS, CSRF_FIELD}  # the token is fuzzed where it is sent (post_form)
    assert sorted(scan.names - fuzzed) == [], "fields read in portal/ but never fuzzed"
    assert sorted(fuzzed - scan.names) == [], "fuzzed fields no page reads any more"


def test_the_field_finder_reads_every_way_a_form_is_read(tmp_path: Path) -> None:
    package = tmp_path / "pages"
    package.mkdir()
    (package / "controllers.py").write_text(
        """
NOTE = "note"

async def page(request, data):
    form = await request.form()
    a = form_text(form, "phone", 20)
    b = form_text(form, NOTE)
    c = FormState.read(form, {"name": 30, "id_number": 18})
    d = scanned_text(form)
    e = form.get("current"), form["ticket"], (await request.form()).getall("tag")
    f = form_text(form, "x" + "y")
    g = form.get(name_from_somewhere)

async def bound(data: Annotated[Thing, Body(media_type=RequestEncodingType.URL_ENCODED)]):
    pass
""",
        encoding="utf-8",
    )
    scan = form_fields_read(package)
    assert scan.names == {"phone", "note", "name", "id_number", "code", "current", "ticket", "tag"}
    assert [p.split(": ", 1)[1] for p in scan.problems] == [
        "form_text() reads a field whose name is not written out",
        "form data read with a name that is not written out",
        "a form bound to a model: list its fields for the fuzzer",
    ]


@pytest.mark.slow
def test_no_form_answers_5xx_or_leaves_anything_half_written(
    client: PortalClient, limiter_clock: StillClock
) -> None:
    visitors = Visitors(client)
    visitors.open_hospital()
    visitors.act_as(PATIENT)
    visitors.act_as(ADMIN)
    world = visitors.world()
    for code in world.live_codes:  # check the family in: a queue and tickets exist
        client.submit("/staff/scan/triage", {"code": code})
    visitors.changed()
    queues = visitors.world().queues
    assert queues, "no one was checked in"
    cover = {"queue": queues[0], "doctor": world.doctors[0]}
    assert client.submit("/staff/cover", cover).status_code == 303
    visitors.changed()
    routes = [r for r in fuzzed_routes() if re.search(ONLY, r.path)]
    per_route = -(-EXAMPLES // len(routes))
    tally = Tally()
    broken: list[str] = []
    errors = ServerErrors()
    logging.getLogger("portal").addHandler(errors)
    try:
        for index, route in enumerate(routes):
            fuzz_route(
                route,
                SPECS[shape(route.path)],
                visitors,
                tally,
                errors,
                limiter_clock,
                per_route,
                index,
            )
            broken += [f"after {route.path}: {p}" for p in client.db(broken_invariants)]
    finally:
        logging.getLogger("portal").removeHandler(errors)
    print(f"\n{tally.table()}\nfamilies {visitors.families}, logins {visitors.logins}")
    assert not tally.failures, "\n".join(["5xx answers:", *tally.failures])
    assert not broken, "\n".join(["invariants broken:", *broken])
    assert tally.total >= EXAMPLES


def fuzz_route(
    route: PostRoute,
    spec: Spec,
    visitors: Visitors,
    tally: Tally,
    errors: ServerErrors,
    limiter_clock: StillClock,
    examples: int,
    index: int,
) -> None:
    """``examples`` posts to one route, each a Hypothesis example."""
    prepared: dict[str, int] = {}

    @seed(SEED + index)
    @settings(
        max_examples=examples,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def example(data: st.DataObject) -> None:
        # A minute passes between posts: the per-minute rate limits do not hide what is behind.
        limiter_clock.at += 61
        # Hypothesis draws the values (it knows which ones break code); a Random it seeds makes
        # the plain choices (which fields, which mistakes), evenly.
        rnd = data.draw(st.randoms(use_true_random=True))
        role = rnd.choice(spec.roles)
        visitors.act_as(role)
        Now.world = visitors.world()
        if role == PATIENT and not Now.world.family:  # the fuzzer removed everyone: a new family
            visitors.forget(PATIENT)
            visitors.act_as(PATIENT)
            Now.world = visitors.world()
        if spec.prepare and prepared.get(role) != visitors.logins[role]:
            spec.prepare(visitors, Now.world)
            prepared[role] = visitors.logins[role]
            visitors.changed()
            Now.world = visitors.world()
        path = draw_path(data, rnd, route)
        fields = draw_form(data, rnd, spec)
        errors.take()
        response, how = post_form(data, rnd, visitors.client, path, fields)
        what = f"{role} {path[:100]} ({how}) {fields!r:.300}\n    {errors.take()}"
        tally.count(route.path, response.status_code, what)
        if response.status_code < 400:  # refusals write nothing the fuzzer names
            visitors.changed()
        if (spec.ends_login and response.is_redirect) or lost_login(role, response):
            visitors.check(role)

    example()
