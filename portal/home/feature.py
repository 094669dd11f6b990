"""The home feature's declaration (see portal/web/feature.py)."""

from portal.core.i18n import lazy_gettext
from portal.home.controllers import route_handlers
from portal.web.feature import Feature
from portal.web.tiles import Tile

feature = Feature(
    name="home",
    route_handlers=route_handlers,
    tiles=[
        Tile(
            key="settings",
            label=lazy_gettext("Settings"),
            hint=lazy_gettext("Large text, language"),
            route="settings",
            icon="settings",
            group="me",
            rank=90,
            elder_rank=99,
        )
    ],
)
