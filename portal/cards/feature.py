"""The e-card feature's declaration (see portal/web/feature.py)."""

from portal.accounts.events import PatientAdded
from portal.cards.controllers import route_handlers
from portal.cards.services import issue_first_card
from portal.core.i18n import lazy_gettext
from portal.web.feature import Feature
from portal.web.tiles import Tile

feature = Feature(
    name="cards",
    route_handlers=route_handlers,
    tiles=[
        Tile(
            key="ecard",
            label=lazy_gettext("My visit card"),
            hint=lazy_gettext("Show it at every desk"),
            route="ecard",
            icon="card",
            group="visit",
            rank=1,
            elder_rank=1,
        )
    ],
    listeners={PatientAdded: [issue_first_card]},
)
