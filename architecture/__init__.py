"""The portal's architecture as checks ``make lint`` runs (import-linter): see
docs/architecture.md. The contracts themselves are listed in pyproject.toml."""
