"""Booking (预约挂号): the timetable, finding a doctor, booking a time slot, cancelling, the
waitlist (候补) — and never selling a place twice."""
