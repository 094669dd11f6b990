"""Demo staff (development only): one person per kind of desk, and a demo scanner API client."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from portal.api.auth import create_client
from portal.staff.services import StaffService
from portal.touchpoints import Role, Touchpoint

DEMO_PASSWORD = "yimatong-demo"  # noqa: S105 - documented development login
DEMO_SCANNER_TOKEN = "ymt_demo_scanner_token"  # noqa: S105 - documented development token

DEMO_STAFF = [
    (
        "nurse",
        "护士 周敏",
        Role.NURSE,
        [Touchpoint.REGISTRATION, Touchpoint.TRIAGE, Touchpoint.REPORT_PICKUP],
        None,
    ),
    ("doctor", "医生 刘建华", Role.DOCTOR, [Touchpoint.CLINIC], "3"),
    ("pharmacist", "药师 孙悦", Role.PHARMACIST, [Touchpoint.PHARMACY], None),
    ("lab", "检验 吴涛", Role.LAB, [Touchpoint.LAB, Touchpoint.REPORT_PICKUP], None),
    ("cashier", "收费 郑丽", Role.CASHIER, [Touchpoint.CASHIER], None),
    ("admin", "管理员 何静", Role.ADMIN, [], None),
]


async def seed_staff(session: AsyncSession, today: date) -> None:
    service = StaffService(session=session)
    for username, name, role, touchpoints, room in DEMO_STAFF:
        await service.create_staff(
            username=username,
            display_name=name,
            password=DEMO_PASSWORD,
            role=role,
            touchpoints=touchpoints,
            room=room,
        )
    await create_client(session, "Demo scanner", ["scan:*"], token=DEMO_SCANNER_TOKEN)
