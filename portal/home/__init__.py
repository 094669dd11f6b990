"""The home page in its two shapes, and the settings page (display mode, language)."""
