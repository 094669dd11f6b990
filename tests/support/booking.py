"""Building timetables for booking tests: the JSON the hospital's systems send, and shortcuts
to find what was created."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from portal.booking.models import Schedule, Slot

AUTH = "Authorization"


def department(code: str = "CARD", name: str = "心血管内科", **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "name_en": extra.pop("name_en", "Cardiology" if code == "CARD" else ""),
        "location": extra.pop("location", "门诊楼 3 层 A 区"),
        "keywords": extra.pop("keywords", ["高血压", "胸闷"] if code == "CARD" else []),
        **extra,
    }


def doctor(
    code: str = "D1",
    department: str = "CARD",
    name: str = "张伟",
    title: str = "chief",
    **extra: Any,
) -> dict[str, Any]:
    return {"code": code, "department": department, "name": name, "title": title, **extra}


def session(
    code: str,
    doctor: str = "D1",
    day: date | str = "2026-12-01",
    *,
    period: str = "morning",
    start: str = "08:00",
    end: str = "09:00",
    places: int = 2,
    fee: str = "50.00",
    **extra: Any,
) -> dict[str, Any]:
    """A session cut into 15-minute slots of ``places`` each."""
    return {
        "code": code,
        "doctor": doctor,
        "date": str(day),
        "period": period,
        "fee": fee,
        "room": "305 诊室",
        "start": start,
        "end": end,
        "slot_minutes": 15,
        "places_per_slot": places,
        **extra,
    }


def standard_timetable(**sessions: Any) -> dict[str, Any]:
    """Cardiology (张伟, 刘建华) and endocrinology (黄海燕); sessions as given (code → dict)."""
    return {
        "departments": [
            department(),
            department(
                "ENDO", "内分泌科", name_en="Endocrinology", keywords=["糖尿病"], location="4 层"
            ),
        ],
        "doctors": [
            doctor("D1", "CARD", "张伟", "chief", specialties="高血压、冠心病"),
            doctor("D2", "CARD", "刘建华", "associate_chief", specialties="心律失常"),
            doctor("D3", "ENDO", "黄海燕", "chief", specialties="糖尿病"),
        ],
        "sessions": list(sessions.values()),
    }


def import_timetable(client: Any, payload: dict[str, Any], token: str | None = None) -> Any:
    from tests.support.databases import TEST_IMPORT_TOKEN

    response = client.post(
        "/api/v1/timetable", json=payload, headers={AUTH: f"Bearer {token or TEST_IMPORT_TOKEN}"}
    )
    return response


def slot_ids(client: Any, session_code: str) -> list[str]:
    """The session's slots, earliest first."""

    async def work(db: Any) -> list[str]:
        rows = await db.scalars(
            select(Slot.id)
            .join(Schedule, Schedule.id == Slot.schedule_id)
            .where(Schedule.code == session_code)
            .order_by(Slot.starts_at)
        )
        return [str(row) for row in rows]

    return client.db(work)


def schedule_id(client: Any, session_code: str) -> str:
    async def work(db: Any) -> str:
        return str(await db.scalar(select(Schedule.id).where(Schedule.code == session_code)))

    return client.db(work)
