"""The payments feature's declaration (see portal/web/feature.py). For now the bills other
features ask it to create, void and reinstate (``portal.payments.services.BillService``) and the
money helper templates use; its pages come with the payments work."""

from portal.payments.money import yuan
from portal.web.feature import Feature

feature = Feature(name="payments", template_globals={"yuan": yuan})
