"""The cards feature's routes: the patient's card pages (``card``) and the scan API (``api``)."""

from portal.cards.controllers import api, card

route_handlers = [*card.route_handlers, *api.route_handlers]
