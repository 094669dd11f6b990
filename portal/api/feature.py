"""The API clients feature's declaration (see portal/web/feature.py): the bearer tokens of
hospital systems and scanners, used by the /api/v1 operations other features offer."""

from portal.web.feature import Feature

feature = Feature(name="api")
