"""The payments feature's declaration (see portal/web/feature.py): the bills other features ask
it to create, void and reinstate (``portal.payments.services.BillService``), the bills the
hospital's systems send (``POST /api/v1/bills``), the family's bills pages and the money helper
templates use."""

from portal.core.i18n import lazy_gettext
from portal.core.touchpoints import Touchpoint
from portal.payments import labels
from portal.payments.checkout import new_key
from portal.payments.controllers import route_handlers
from portal.payments.desk import bills_on_scan
from portal.payments.money import yuan
from portal.payments.seed import seed_bills
from portal.payments.tasks import lifespan
from portal.web.feature import Feature
from portal.web.tiles import Tile

feature = Feature(
    name="payments",
    route_handlers=route_handlers,
    seed=seed_bills,
    lifespan=lifespan,
    desk_actions={Touchpoint.CASHIER: bills_on_scan},
    template_globals={
        "yuan": yuan,
        "bill_status_label": labels.bill_status_label,
        "category_label": labels.category_label,
        "scheme_label": labels.scheme_label,
        "class_label": labels.class_label,
        "method_label": labels.method_label,
        "refund_status_label": labels.refund_status_label,
        "payment_key": new_key,
    },
    tiles=[
        Tile(
            key="bills",
            label=lazy_gettext("Pay bills"),
            hint=lazy_gettext("What each of your family owes"),
            route="bills",
            icon="pay",
            group="payments_reports",
            rank=10,
            elder_rank=40,
            needs_login=True,
        )
    ],
)
