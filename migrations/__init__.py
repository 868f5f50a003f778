"""Alembic migrations: the database schema's history, derived from `models/`."""
