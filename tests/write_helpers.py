"""Shared helpers for the tests of the write side: keys, an app on a private seeded database,
snapshots of records, the change feed, and problem assertions.

A plain module (not a conftest): the write tests import what they need from it.
"""

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.keys import create_key
from api.settings import Settings, get_settings
from models.api_key import Role
from models.base import stable_id

MERGE_PATCH = "application/merge-patch+json"
PROBLEM = "application/problem+json"

PALADIN = str(stable_id("organization", "paladin-national-stalking-advocacy-service"))
SUZY_LAMPLUGH = str(stable_id("organization", "suzy-lamplugh-trust"))
THAMES_VALLEY_POLICE = str(stable_id("organization", "thames-valley-police"))
PALADIN_SERVICE = str(stable_id("service", "paladin-stalking-advocacy"))
PALADIN_YOUNG_PERSONS = str(stable_id("service", "paladin-young-persons-isac"))
NATIONAL_STALKING_HELPLINE = str(stable_id("service", "national-stalking-helpline"))
POLICE_EMERGENCY_SERVICE = str(stable_id("service", "thames-valley-police-emergency"))
CALL_999 = str(stable_id("reporting_channel", "emergency-999-call"))
KEEP_EVIDENCE = str(stable_id("guidance", "keep-evidence"))
AUDIENCE = str(stable_id("taxonomy", "audience"))
HIGH_RISK_VICTIMS = str(stable_id("taxonomy_term", "audience/high-risk-victims"))
YOUNG_PEOPLE = str(stable_id("taxonomy_term", "audience/young-people-16-25"))
SPECIALIST_ADVOCACY = str(stable_id("taxonomy_term", "service-type/specialist-advocacy"))

# Each writable kind: its path under /v1 and the type the change feed names it by.
PATHS = {
    "organization": "/v1/organizations",
    "service": "/v1/services",
    "reporting_channel": "/v1/reporting_channels",
    "guidance": "/v1/guidance",
    "taxonomy_term": "/v1/taxonomy_terms",
}
KINDS = list(PATHS)
# A seeded record of each kind that every test may change.
SEEDED = {
    "organization": PALADIN,
    "service": PALADIN_SERVICE,
    "reporting_channel": CALL_999,
    "guidance": KEEP_EVIDENCE,
    "taxonomy_term": HIGH_RISK_VICTIMS,
}


def new_record(kind: str, tag: str = "") -> dict[str, Any]:
    """A valid body for creating a record of this kind (admin: published at once)."""
    suffix = f" {tag}" if tag else ""
    bodies: dict[str, dict[str, Any]] = {
        "organization": {
            "name": f"Stalking Support North{suffix}",
            "description": "A charity that supports people who are being stalked.",
            "website": "https://north.example.org",
            "email": "help@north.example.org",
        },
        "service": {
            "organization_id": PALADIN,
            "name": f"Evening advocacy line{suffix}",
            "description": "Advocacy by phone in the evening.",
            "url": "https://paladinservice.co.uk/evening",
            "minimum_age": 16,
            "phones": [{"number": "0808 802 0300", "type": "voice", "description": "Line."}],
            "service_areas": [{"name": "England"}, {"name": "Wales"}],
            "attributes": [{"taxonomy_term_id": HIGH_RISK_VICTIMS}],
        },
        "reporting_channel": {
            "name": f"Report online{suffix}",
            "description": "Report stalking online when nobody is in danger.",
            "urgency": "non_emergency",
            "method": "online",
            "url": "https://www.thamesvalley.police.uk/ro/report/",
            "steps": ["Open the form.", "Describe what happened."],
            "suitable_for": ["anyone"],
            "organization_id": THAMES_VALLEY_POLICE,
        },
        "guidance": {
            "name": f"Keep a diary{suffix}",
            "description": "Write down every incident.",
            "category": "evidence",
            "items": ["Note the date and time.", "Keep screenshots."],
        },
        "taxonomy_term": {
            "code": f"students{tag}",
            "name": f"Students{suffix}",
            "description": "People in further or higher education.",
            "taxonomy_id": AUDIENCE,
        },
    }
    return bodies[kind]


@dataclass(frozen=True)
class Key:
    id: uuid.UUID
    name: str
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


def make_key(engine: Engine, name: str, role: Role, organization_id: str | None = None) -> Key:
    with Session(engine) as session:
        org = uuid.UUID(organization_id) if organization_id else None
        record, secret = create_key(session, name, role, org)
        return Key(record.id, record.name, secret)


@dataclass(frozen=True)
class Snapshot:
    status: int
    body: Any
    etag: str | None


@dataclass
class Env:
    """An app on a private seeded database, with keys of each kind."""

    engine: Engine
    client: TestClient
    admin: Key
    admin2: Key
    partner: Key  # Paladin
    other_partner: Key  # Suzy Lamplugh Trust
    extra: dict[str, Key] = field(default_factory=dict)

    def partner_of(self, organization_id: str, name: str) -> Key:
        if name not in self.extra:
            self.extra[name] = make_key(self.engine, name, Role.partner, organization_id)
        return self.extra[name]

    # -- reading ----------------------------------------------------------------------------

    def snapshot(self, path: str) -> Snapshot:
        response = self.client.get(path)
        body = response.json() if response.status_code == 200 else None
        return Snapshot(response.status_code, body, response.headers.get("etag"))

    def etag(self, path: str) -> str:
        snap = self.snapshot(path)
        assert snap.status == 200, (path, snap.status)
        assert snap.etag
        return snap.etag

    def feed(self, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Every feed entry after `after`, following `next_cursor`."""
        entries: list[dict[str, Any]] = []
        while True:
            response = self.client.get("/v1/changes", params={"after": after, "limit": limit})
            assert response.status_code == 200, response.text
            page = response.json()
            entries.extend(page["changes"])
            if not page["changes"]:
                return entries
            after = page["next_cursor"]

    def cursor(self) -> int:
        entries = self.feed()
        return int(entries[-1]["cursor"]) if entries else 0

    def all(self, path: str, **params: str) -> list[dict[str, Any]]:
        response = self.client.get(path, params={"per_page": "1000", **params})
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total_items"] == len(page["contents"])
        contents: list[dict[str, Any]] = page["contents"]
        return contents

    # -- writing ----------------------------------------------------------------------------

    def create(self, kind: str, body: Any, key: Key | None) -> httpx.Response:
        return self.client.post(PATHS[kind], json=body, headers=key.headers if key else {})

    def patch(
        self,
        path: str,
        patch: Any,
        key: Key | None,
        if_match: str | None = None,
        *,
        raw: bytes | None = None,
        content_type: str = MERGE_PATCH,
    ) -> httpx.Response:
        headers = {"Content-Type": content_type, **(key.headers if key else {})}
        if if_match is not None:
            headers["If-Match"] = if_match
        content = raw if raw is not None else json.dumps(patch).encode()
        return self.client.patch(path, content=content, headers=headers)

    def update(self, path: str, patch: Any, key: Key) -> httpx.Response:
        """PATCH against the record's current ETag."""
        return self.patch(path, patch, key, self.etag(path))

    def delete(self, path: str, key: Key | None, if_match: str | None = None) -> httpx.Response:
        headers = dict(key.headers if key else {})
        if if_match is not None:
            headers["If-Match"] = if_match
        return self.client.delete(path, headers=headers)

    def retire(self, path: str, key: Key) -> httpx.Response:
        return self.delete(path, key, self.etag(path))

    def approve(self, request_id: str, key: Key) -> httpx.Response:
        return self.client.post(f"/v1/change_requests/{request_id}/approve", headers=key.headers)

    def reject(self, request_id: str, key: Key, reason: str) -> httpx.Response:
        return self.client.post(
            f"/v1/change_requests/{request_id}/reject",
            json={"reason": reason},
            headers=key.headers,
        )

    def history(self, path: str, key: Key) -> list[dict[str, Any]]:
        response = self.client.get(
            f"{path}/history", params={"per_page": 1000}, headers=key.headers
        )
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()["contents"]
        return entries


def make_env(
    engine: Engine, *, raise_server_exceptions: bool = True, export_dir: Path | None = None
) -> Env:
    settings = Settings(database_url=str(engine.url))
    if export_dir is not None:
        settings = settings.model_copy(update={"export_dir": export_dir})
    app = create_app(settings, engine=engine)
    client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
    return Env(
        engine=engine,
        client=client,
        admin=make_key(engine, "Directory Admin Ada", Role.admin),
        admin2=make_key(engine, "Directory Admin Bo", Role.admin),
        partner=make_key(engine, "Paladin Editor Pat", Role.partner, PALADIN),
        other_partner=make_key(engine, "Suzy Lamplugh Editor Sam", Role.partner, SUZY_LAMPLUGH),
    )


def assert_problem(
    response: httpx.Response, status: int, field: str | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem with this status (and, when given, an error naming `field`)."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("https://") and problem["title"] and problem["detail"]
    text = response.text
    assert "Traceback" not in text and 'File "' not in text
    if field is not None:
        named = [e["field"] for e in problem.get("errors", [])]
        assert any(
            name == field or name.endswith(f".{field}") or name.startswith(f"{field}.")
            for name in named
        ), (field, problem)
    return problem


def assert_nothing_changed(env: Env, before: dict[str, Snapshot], cursor: int) -> None:
    """A failed write leaves no partial change: every record reads as before (body and
    ETag) and the feed has no new entry."""
    for path, snapshot in before.items():
        now = env.snapshot(path)
        assert now == snapshot, f"{path} changed after a failed write"
    assert env.feed(after=cursor) == [], "a failed write added to the change feed"


def snapshots(env: Env, *paths: str) -> dict[str, Snapshot]:
    return {path: env.snapshot(path) for path in paths}


def phone_numbers(record: dict[str, Any]) -> list[str]:
    return sorted(p["number"] for p in record.get("phones", []))


def run_cli(database_url: str, *args: str) -> Any:
    """`helpdir ARGS` against a database; the result has exit_code, stdout and stderr."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", database_url)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, list(args), catch_exceptions=False)
        finally:
            get_settings.cache_clear()
