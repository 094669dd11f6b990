"""The queue feature's declaration (see portal/web/feature.py)."""

from portal.core.i18n import lazy_gettext
from portal.core.touchpoints import Touchpoint
from portal.queue.controllers import route_handlers
from portal.queue.desk import check_in_on_scan
from portal.queue.tasks import lifespan
from portal.web.feature import Feature
from portal.web.tiles import Tile

feature = Feature(
    name="queue",
    route_handlers=route_handlers,
    tiles=[
        Tile(
            key="queue",
            label=lazy_gettext("My place in the queue"),
            hint=lazy_gettext("How many people are ahead"),
            route="queue",
            icon="queue",
            group="visit",
            rank=30,
            elder_rank=30,
        ),
        Tile(
            key="waiting",
            label=lazy_gettext("Waiting times"),
            hint=lazy_gettext("How busy each department is"),
            route="waiting",
            icon="clock",
            group="visit",
            rank=40,
            elder_rank=None,
        ),
    ],
    # At triage and registration an accepted scan checks the patient in at once.
    desk_actions={Touchpoint.TRIAGE: check_in_on_scan, Touchpoint.REGISTRATION: check_in_on_scan},
    lifespan=lifespan,
)
