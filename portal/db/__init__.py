"""Database: the declarative base, the engine, migrations and the demo seed."""
