"""The API clients feature's declaration (see portal/web/feature.py): the bearer tokens of
hospital systems and scanners, with the scopes each may use in the /api/v1 operations other
features offer."""

from portal.api.seed import seed_api_clients
from portal.web.feature import Feature

feature = Feature(name="api", seed=seed_api_clients)
