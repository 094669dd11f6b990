"""Booking (预约挂号): the timetable, finding a doctor, booking a time slot, cancelling, the
waitlist (候补) — and never selling a place twice."""

from datetime import datetime
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from portal.booking import labels as _labels
from portal.payments.models import yuan
from portal.web.templating import register_globals


@pass_context
def _local(context: Context, moment: datetime) -> datetime:
    """A stored (UTC) moment in the hospital's time zone, for ``|clock`` and dates."""
    clock: Any = context["request"].app.state.clock
    return clock.local(moment)


register_globals(
    title_label=_labels.title_label,
    period_label=_labels.period_label,
    status_label=_labels.status_label,
    department_name=_labels.department_name,
    places_left=_labels.places_left,
    short_date=_labels.short_date,
    local=_local,
    yuan=yuan,
)
