"""The JSON API for hospital systems and scanners (/api/v1), authenticated by bearer tokens."""
