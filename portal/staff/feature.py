"""The staff feature's declaration (see portal/web/feature.py)."""

from portal.staff.controllers import route_handlers
from portal.staff.seed import seed_staff
from portal.web.feature import Feature

feature = Feature(name="staff", route_handlers=route_handlers, seed=seed_staff)
