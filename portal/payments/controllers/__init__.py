"""The payments feature's routes: the bills pages and the bills import."""

from portal.payments import desk
from portal.payments.controllers import api, online, pages

route_handlers = [
    *pages.route_handlers,
    *online.route_handlers,
    *api.route_handlers,
    *desk.route_handlers,
]
