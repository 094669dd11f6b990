"""The accounts feature's pages: logging in (``login``), family members (``family``), and the
consent of a patient another account manages (``consent``, ``phone``)."""

from portal.accounts.controllers import consent, family, login, phone

route_handlers = [
    *login.route_handlers,
    *family.route_handlers,
    *consent.route_handlers,
    *phone.route_handlers,
]
