"""The payment sandbox's declaration: a stand-in for WeChat Pay served by the app itself in
development (``/dev/pay``), speaking API v3 exactly, with its own books and postman."""

from portal.paysandbox.controllers import route_handlers
from portal.paysandbox.deliveries import lifespan
from portal.web.feature import Feature

feature = Feature(name="paysandbox", route_handlers=route_handlers, lifespan=lifespan)
