"""A private, seeded directory with API keys, for a test module that writes.

The shared `client` of conftest.py is read-only; a module that changes data (or stores
keys) builds one of these instead, on SQLite or PostgreSQL like the rest of the suite.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conftest import _drop_database, _new_database_url, app_for
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api import migrate
from api.keys import hash_key
from models import ApiKey
from models.api_key import Role
from seed.loader import load_seed

# The keys' secrets. Fixed, so that a test can know them before its directory exists
# (schemathesis builds some requests when the tests are collected); each directory stores
# only their hashes, as `helpdir keys create` does.
ADMIN_KEY = "hd_test-admin-key-for-a-private-directory-only"
PARTNER_KEY = "hd_test-partner-key-for-a-private-directory-only"


@dataclass(frozen=True)
class Directory:
    app: FastAPI
    client: TestClient
    admin: dict[str, str]  # request headers carrying ADMIN_KEY
    partner: dict[str, str]  # ... PARTNER_KEY, of the organisation the directory was made for


@contextmanager
def private_directory(tmp_dir: Path, partner_organization_id: str) -> Iterator[Directory]:
    url = _new_database_url(tmp_dir)
    try:
        migrate.upgrade(url)
        app = app_for(url)
        with Session(app.state.engine) as session:
            load_seed(session)
            organization = uuid.UUID(partner_organization_id)
            for name, role, organization_id, secret in (
                ("Directory team", Role.admin, None, ADMIN_KEY),
                ("Partner", Role.partner, organization, PARTNER_KEY),
            ):
                session.add(
                    ApiKey(
                        name=name,
                        role=role,
                        organization_id=organization_id,
                        key_hash=hash_key(secret),
                    )
                )
            session.commit()
        yield Directory(
            app,
            TestClient(app),
            {"Authorization": f"Bearer {ADMIN_KEY}"},
            {"Authorization": f"Bearer {PARTNER_KEY}"},
        )
        app.state.engine.dispose()
    finally:
        _drop_database(url)
