"""The audit feature's declaration (see portal/web/feature.py): the log other features write
through ``portal.audit.services.record``; its page is at the staff desk."""

from portal.web.feature import Feature

feature = Feature(name="audit")
