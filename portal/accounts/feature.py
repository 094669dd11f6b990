"""The accounts feature's declaration (see portal/web/feature.py)."""

from portal.accounts.controllers import route_handlers
from portal.accounts.seed import seed_accounts
from portal.core.i18n import lazy_gettext
from portal.web.feature import Feature
from portal.web.tiles import Tile

feature = Feature(
    name="accounts",
    route_handlers=route_handlers,
    tiles=[
        Tile(
            key="patients",
            label=lazy_gettext("Family members"),
            hint=lazy_gettext("Add parents, choose who sees the doctor"),
            route="patients",
            icon="family",
            group="me",
            rank=10,
            elder_rank=90,
        )
    ],
    seed=seed_accounts,
)
