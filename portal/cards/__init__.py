"""The e-card (电子就诊卡) in the portal: one card per patient, its page, print and reissue,
and scan verification for every touchpoint (staff scan page and /api/v1/scans)."""
