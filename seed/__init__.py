"""Seed data (YAML under `seed/data/`) and the loader that puts it in the database."""
