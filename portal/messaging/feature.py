"""The messaging feature's declaration (see portal/web/feature.py)."""

from portal.messaging.controllers import route_handlers
from portal.web.feature import Feature

feature = Feature(name="messaging", route_handlers=route_handlers)
