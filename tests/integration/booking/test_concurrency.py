"""Never oversell, against a running server (uvicorn in a child process), on SQLite and on
PostgreSQL (one process, and two processes with Redis between them): 200 patients race for 20
places; two cancellations race many waiting patients.

Each simulated patient has an account of its own (with one to three family members), a cookie
jar, a CSRF token and a session, and logs in through the real pages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from harness import crowd as surge
from portal.booking.models import Appointment, ReturnedPlace, Slot, WaitlistEntry
from tests.support import aio
from tests.support.live_servers import KINDS, Live, live_servers

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live-booking")]


@pytest.fixture(scope="module", params=KINDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Live]:
    """A migrated, empty database and a server on it (two servers and Redis for the last),
    shared by this module's tests: each uses sessions and patients of its own."""
    with live_servers(request.param, tmp_path_factory.mktemp("live"), f"{worker_id}_booking") as on:
        yield on


def outcomes(results: list[surge.Timed]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for timed in results:
        response = timed.response
        if response.status_code == 303 and "/booked" in response.headers.get("location", ""):
            kinds["booked"] += 1
        elif response.status_code == 409 and 'data-outcome="full"' in response.text:
            kinds["full page"] += 1
        else:
            kinds[f"{response.status_code}"] += 1
    return kinds


async def _two_hundred_race_for_twenty(live: Live) -> None:
    db = surge.Database(live.database_url)
    day = surge.local_today() + timedelta(days=2)
    await surge.import_timetable(
        live.url_for(0), surge.timetable([surge.session_of("RACE", day, slots=10, places=2)])
    )
    slots = await surge.slot_ids(db, "RACE")
    crowd = await surge.patrons(live.url_for, db, await db.add_families(200))
    try:

        async def book(patron: surge.Patron) -> Any:
            index = int(patron.phone[-4:])
            return await patron.post(
                "/booking/appointments",
                # Everyone aims at one of the ten slots, for one of their family members.
                {
                    "slot": slots[index % 10],
                    "patient": patron.patients[index % len(patron.patients)],
                },
            )

        results = await surge.at_once(crowd, book)
    finally:
        await surge.close(crowd)

    async def state(session: Any) -> tuple[int, int, int]:
        race = [UUID(slot) for slot in slots]
        booked = await session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.status == "booked", Appointment.slot_id.in_(race))
        )
        over = await session.scalar(
            select(func.count()).select_from(Slot).where(Slot.booked > Slot.capacity)
        )
        taken = await session.scalar(select(func.sum(Slot.booked)).where(Slot.id.in_(race)))
        return int(booked or 0), int(over or 0), int(taken or 0)

    booked, over, taken = await db.run(state)
    await db.close()
    assert outcomes(results) == Counter({"booked": 20, "full page": 180})
    assert (booked, over, taken) == (20, 0, 20)


def test_two_hundred_patients_race_for_twenty_places(live: Live) -> None:
    aio.run(_two_hundred_race_for_twenty(live))


async def _two_cancellations_many_waiting(live: Live) -> None:
    db = surge.Database(live.database_url)
    day = surge.local_today() + timedelta(days=2)
    await surge.import_timetable(
        live.url_for(0), surge.timetable([surge.session_of("WAIT", day, slots=1, places=2)])
    )
    (slot,) = await surge.slot_ids(db, "WAIT")
    session_id = await surge.schedule_id(db, "WAIT")
    holders = await surge.patrons(live.url_for, db, await db.add_families(2, first=5000))
    crowd = await surge.patrons(live.url_for, db, await db.add_families(80, first=6000))
    try:
        for holder in holders:
            response = await holder.post(
                "/booking/appointments", {"slot": slot, "patient": holder.patients[0]}
            )
            assert response.status_code == 303, response.text[:300]
        appointments = [h.responses[-1].headers["location"].split("/")[2] for h in holders]
        # Eighty patients join the waiting list at once.
        joined = await surge.at_once(
            crowd,
            lambda p: p.post(
                "/booking/waitlist", {"session": session_id, "patient": p.patients[0]}
            ),
        )
        assert Counter(t.response.status_code for t in joined) == Counter({303: 80})

        # Both holders cancel while everyone waiting tries to book the slot directly.
        async def cancel(holder: surge.Patron) -> Any:
            index = holders.index(holder)
            return await holder.post(f"/appointments/{appointments[index]}/cancel")

        async def grab(patron: surge.Patron) -> Any:
            return await patron.post(
                "/booking/appointments", {"slot": slot, "patient": patron.patients[0]}
            )

        mixed = await surge.at_once(
            [*holders, *crowd], lambda p: cancel(p) if p in holders else grab(p)
        )
        statuses = Counter(t.response.status_code for t in mixed)
        assert statuses == Counter({303: 2, 409: 80}), statuses

        # Every waiting patient looks at their appointments and accepts an offer if they see one.
        async def accept_if_offered(patron: surge.Patron) -> Any:
            page = await patron.http.get("/appointments")
            marker = 'action="/appointments/offers/'
            if marker not in page.text:
                return page
            entry = page.text.split(marker)[1].split("/")[0]
            return await patron.post(f"/appointments/offers/{entry}/accept")

        accepted = await surge.at_once(crowd, accept_if_offered)
        assert sum(1 for t in accepted if t.response.status_code == 303) == 2
        assert all(t.response.status_code < 500 for t in [*joined, *mixed, *accepted])
    finally:
        await surge.close([*holders, *crowd])

    async def state(session: Any) -> dict[str, Any]:
        entries = list(
            await session.execute(
                select(WaitlistEntry.status, WaitlistEntry.place_id, WaitlistEntry.joined_at)
            )
        )
        offered_places = [
            place for status, place, _ in entries if status in ("offered", "accepted")
        ]
        first_two = sorted(entries, key=lambda e: e[2])[:2]
        return {
            "accepted": sum(1 for s, _, _ in entries if s == "accepted"),
            "places offered once each": len(offered_places) == len(set(offered_places)) == 2,
            "went to the first two": {s for s, _, _ in first_two} == {"accepted"},
            "places": Counter(await session.scalars(select(ReturnedPlace.status))),
            "booked": await session.scalar(select(Slot.booked).where(Slot.id == UUID(slot))),
            "live": await session.scalar(
                select(func.count())
                .select_from(Appointment)
                .where(Appointment.status == "booked", Appointment.slot_id == UUID(slot))
            ),
        }

    found = await db.run(state)
    await db.close()
    assert found == {
        "accepted": 2,
        "places offered once each": True,
        "went to the first two": True,
        "places": Counter({"taken": 2}),
        "booked": 2,
        "live": 2,
    }


def test_two_cancellations_with_many_waiting_never_offer_one_place_twice(live: Live) -> None:
    aio.run(_two_cancellations_many_waiting(live))
