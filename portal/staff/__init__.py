"""Staff: accounts with roles and the touchpoints (desks) each may use, login, the audit page."""
