"""The lobby kiosk's declaration (see portal/web/feature.py): checking in, and paying."""

from portal.kiosk import paying
from portal.kiosk.controllers import route_handlers
from portal.web.feature import Feature

feature = Feature(name="kiosk", route_handlers=[*route_handlers, *paying.route_handlers])
