"""An appointment as an iCalendar file (RFC 5545), so a phone's calendar can remind the patient.

One event with one alarm: small enough to write directly (escaping and line folding included)
rather than add a dependency.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from portal.booking import rules
from portal.booking.labels import department_name, title_label
from portal.booking.models import CANCELLED, Appointment
from portal.core.i18n import format_clock
from portal.core.i18n import gettext as _
from portal.core.masking import mask_name

REMIND_MINUTES_BEFORE_ARRIVAL = 60


def escape_text(value: str) -> str:
    """TEXT values: backslash, semicolon, comma and newlines are escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (never inside a
    multi-byte character)."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74  # continuation lines start with a space
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out)


def _utc(moment: datetime) -> str:
    return rules.aware(moment).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def appointment_ics(
    appointment: Appointment,
    *,
    now: datetime,
    arrive_by: datetime,
    zone: ZoneInfo,
    hospital: str = "",
) -> str:
    """The calendar file for one appointment, in the patient's language."""
    slot = appointment.slot
    schedule = slot.schedule
    doctor = schedule.doctor
    department = schedule.department
    where = " ".join(part for part in (hospital, department.location, schedule.room) if part)
    summary = _(
        "Doctor's appointment: %(department)s, %(doctor)s",
        department=department_name(department),
        doctor=doctor.name,
    )
    description = "\n".join(
        [
            _("Patient: %(name)s", name=mask_name(appointment.patient.name)),
            _("Doctor: %(doctor)s, %(title)s", doctor=doctor.name, title=title_label(doctor.title)),
            _("Please arrive by %(time)s.", time=format_clock(arrive_by.astimezone(zone))),
            _("Scan your e-card at a kiosk or the triage desk to check in."),
        ]
    )
    reminder = rules.aware(arrive_by) - timedelta(minutes=REMIND_MINUTES_BEFORE_ARRIVAL)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Yimatong//Booking//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{appointment.id}@yimatong",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(slot.starts_at)}",
        f"DTEND:{_utc(slot.ends_at)}",
        f"SUMMARY:{escape_text(summary)}",
        f"LOCATION:{escape_text(where)}",
        f"DESCRIPTION:{escape_text(description)}",
        "STATUS:" + ("CANCELLED" if appointment.status == CANCELLED else "CONFIRMED"),
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{escape_text(summary)}",
        f"TRIGGER;VALUE=DATE-TIME:{_utc(reminder)}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
