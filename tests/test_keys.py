"""API keys: `helpdir keys create/list/revoke`, and how the API treats a key (or none).

A key is random (at least 32 bytes of entropy), printed once, stored only as a hash, and
refused from the moment it is revoked. No key, a malformed header or an unknown key is a
401 problem that asks for a Bearer token; any answer to a request that carried a key is
private to that caller.
"""

import hashlib
import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, MetaData, select, text
from sqlmodel import Session
from typer.testing import CliRunner, Result
from write_helpers import (
    NATIONAL_STALKING_HELPLINE,
    PALADIN,
    Env,
    assert_problem,
    make_env,
    new_record,
)

from api.cli import app as cli
from api.settings import get_settings
from models import ApiKey

# "hd_" and 43 characters of URL-safe base64: 32 random bytes, 256 bits.
KEY_SHAPE = re.compile(r"^hd_[A-Za-z0-9_-]{43,}$")


@pytest.fixture
def database_url(seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI reads DATABASE_URL (through the cached settings) like the server does."""
    url = seeded_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def env(seeded_engine: Engine, database_url: str) -> Env:
    return make_env(seeded_engine)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def create(*args: str) -> tuple[Result, str]:
    """Run `keys create`; return the result and the key (the last line of stdout)."""
    result = run("keys", "create", *args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result, result.stdout.strip().splitlines()[-1]


def key_rows(engine: Engine) -> list[ApiKey]:
    with Session(engine) as session:
        return list(session.scalars(select(ApiKey)))


def every_stored_value(engine: Engine) -> Iterator[str]:
    """Every value of every row of every table in the database, as text."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    if value is not None:
                        yield str(value)


@pytest.mark.parametrize(
    ("role", "organization"), [("admin", None), ("partner", PALADIN)], ids=["admin", "partner"]
)
def test_create_prints_a_strong_key_once_and_stores_only_its_hash(
    env: Env, seeded_engine: Engine, role: str, organization: str | None
) -> None:
    args = ["--role", role, "--name", f"{role} for the test"]
    if organization:
        args += ["--organization", organization]
    result, key = create(*args)

    # The key is alone on the last line, and looks like 32+ random bytes.
    assert KEY_SHAPE.match(key), key
    assert len(key.removeprefix("hd_")) * 6 >= 256
    assert key not in result.stderr
    assert result.stdout.count(key) == 1, "the key is shown exactly once"
    _, another = create(*args)
    assert another != key

    (row,) = [
        r for r in key_rows(seeded_engine) if r.key_hash == hashlib.sha256(key.encode()).hexdigest()
    ]
    assert row.role == role and row.name == f"{role} for the test"
    assert (
        str(row.organization_id) == str(organization)
        if organization
        else row.organization_id is None
    )
    assert str(row.id) in result.stdout  # the id to revoke it by

    # Only the hash is stored: the key's text is in no column of any table.
    stored = list(every_stored_value(seeded_engine))
    assert row.key_hash in stored  # the scan does see the api_key table
    secret_part = key.removeprefix("hd_")
    assert not [value for value in stored if secret_part in value]

    # And the printed key works.
    response = env.client.get("/v1/change_requests", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text


def test_list_shows_every_key_but_no_secret(seeded_engine: Engine, database_url: str) -> None:
    _, admin_key = create("--role", "admin", "--name", "Ada")
    _, partner_key = create("--role", "partner", "--organization", PALADIN, "--name", "Pat")
    result = run("keys", "list")
    assert result.exit_code == 0, result.stderr
    rows = key_rows(seeded_engine)
    assert len(rows) == 2
    for row in rows:
        line = next(line for line in result.stdout.splitlines() if str(row.id) in line)
        assert row.name in line and row.role in line and "active" in line
        assert row.key_hash not in result.stdout
    for key in (admin_key, partner_key):
        assert key.removeprefix("hd_") not in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--role", "partner", "--name", "No organisation"],
        ["--role", "admin", "--name", "Admin with one", "--organization", PALADIN],
        ["--role", "partner", "--name", "Bad id", "--organization", "not-a-uuid"],
        ["--role", "owner", "--name", "Unknown role"],
        ["--role", "admin"],
    ],
    ids=["partner-without-org", "admin-with-org", "malformed-org", "unknown-role", "no-name"],
)
def test_create_refuses_a_bad_command_with_exit_2(
    seeded_engine: Engine, database_url: str, args: list[str]
) -> None:
    result = run("keys", "create", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert not KEY_SHAPE.search(result.stdout.strip().split("\n")[-1])
    assert key_rows(seeded_engine) == []


def test_create_for_an_unknown_organisation_fails_with_exit_1(
    seeded_engine: Engine, database_url: str
) -> None:
    unknown = str(uuid.uuid4())
    result = run("keys", "create", "--role", "partner", "--organization", unknown, "--name", "X")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert unknown in result.stderr
    assert key_rows(seeded_engine) == []


def test_a_revoked_key_is_refused_at_once(env: Env, seeded_engine: Engine) -> None:
    result, key = create("--role", "admin", "--name", "Soon revoked")
    headers = {"Authorization": f"Bearer {key}"}
    (row,) = [r for r in key_rows(seeded_engine) if r.name == "Soon revoked"]
    assert env.client.get("/v1/change_requests", headers=headers).status_code == 200

    revoked = run("keys", "revoke", str(row.id))
    assert revoked.exit_code == 0, revoked.stderr

    # The same app, which accepted the key a moment ago, now refuses it.
    refused = env.client.get("/v1/change_requests", headers=headers)
    assert_problem(refused, 401)
    assert refused.headers["www-authenticate"] == "Bearer"
    before = env.snapshot(f"/v1/services/{NATIONAL_STALKING_HELPLINE}")
    cursor = env.cursor()
    write = env.client.patch(
        f"/v1/services/{NATIONAL_STALKING_HELPLINE}",
        json={"name": "Hijacked"},
        headers={**headers, "If-Match": str(before.etag)},
    )
    assert_problem(write, 401)
    assert env.snapshot(f"/v1/services/{NATIONAL_STALKING_HELPLINE}") == before
    assert env.feed(after=cursor) == []

    listed = run("keys", "list")
    assert "revoked" in next(line for line in listed.stdout.splitlines() if str(row.id) in line)
    # Revoking again is harmless; an unknown or malformed id is an error.
    assert run("keys", "revoke", str(row.id)).exit_code == 0
    assert run("keys", "revoke", str(uuid.uuid4())).exit_code == 1
    assert run("keys", "revoke", "not-a-uuid").exit_code == 2


def _stored_hash(env: Env) -> str:
    with Session(env.engine) as session:
        key = session.get(ApiKey, env.admin.id)
        assert key is not None
        return key.key_hash


AUTH_HEADERS = {
    "none": lambda env: {},
    "empty": lambda env: {"Authorization": ""},
    "basic-scheme": lambda env: {"Authorization": "Basic YWRtaW46YWRtaW4="},
    "bearer-without-token": lambda env: {"Authorization": "Bearer"},
    "token-without-scheme": lambda env: {"Authorization": env.admin.secret},
    "unknown-key": lambda env: {"Authorization": "Bearer hd_" + "A" * 43},
    "truncated-key": lambda env: {"Authorization": f"Bearer {env.admin.secret[:-1]}"},
    "key-with-junk": lambda env: {"Authorization": f"Bearer {env.admin.secret}x"},
    "stored-hash": lambda env: {"Authorization": f"Bearer {_stored_hash(env)}"},
}

PROTECTED = {
    "list-requests": ("GET", "/v1/change_requests"),
    "history": ("GET", f"/v1/services/{NATIONAL_STALKING_HELPLINE}/history"),
    "create": ("POST", "/v1/guidance"),
    "update": ("PATCH", f"/v1/services/{NATIONAL_STALKING_HELPLINE}"),
    "retire": ("DELETE", f"/v1/services/{NATIONAL_STALKING_HELPLINE}"),
    "verify": ("POST", f"/v1/services/{NATIONAL_STALKING_HELPLINE}/verify"),
    "approve": ("POST", f"/v1/change_requests/{uuid.uuid4()}/approve"),
}


# Every way of presenting a bad key, against the most dangerous operation (a change to a
# helpline's record); and every protected operation, with no key and with an unknown key.
CASES = [(auth, "update") for auth in AUTH_HEADERS] + [
    (auth, operation)
    for operation in PROTECTED
    if operation != "update"
    for auth in ("none", "unknown-key")
]


@pytest.mark.parametrize(("auth", "operation"), CASES)
def test_no_or_bad_key_is_a_401_problem_asking_for_a_bearer_token(
    env: Env, auth: str, operation: str
) -> None:
    method, path = PROTECTED[operation]
    headers = AUTH_HEADERS[auth](env)
    service = f"/v1/services/{NATIONAL_STALKING_HELPLINE}"
    before = env.snapshot(service)
    cursor = env.cursor()
    body = new_record("guidance") if method == "POST" else {"name": "Changed"}
    response = env.client.request(
        method,
        path,
        json=body if method in ("POST", "PATCH") else None,
        headers={**headers, "If-Match": str(before.etag)},
    )
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert env.snapshot(service) == before
    assert env.feed(after=cursor) == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", f"/v1/services/{NATIONAL_STALKING_HELPLINE}", None, 200),
        ("GET", "/v1/change_requests", None, 200),
        ("GET", f"/v1/services/{NATIONAL_STALKING_HELPLINE}/history", None, 200),
        ("POST", "/v1/guidance", new_record("guidance"), 201),
        ("POST", "/v1/guidance", {"name": "no description"}, 422),
        ("GET", f"/v1/services/{uuid.uuid4()}", None, 404),
    ],
)
def test_answers_to_authenticated_requests_are_private(
    env: Env, method: str, path: str, body: dict[str, object] | None, status: int
) -> None:
    response = env.client.request(method, path, json=body, headers=env.admin.headers)
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "private, no-store"


def test_a_refused_key_gets_a_private_answer_too(env: Env) -> None:
    response = env.client.get(
        "/v1/change_requests", headers={"Authorization": "Bearer hd_" + "B" * 43}
    )
    assert_problem(response, 401)
    assert response.headers["cache-control"] == "private, no-store"


def test_the_key_table_has_no_column_for_the_key_itself(seeded_engine: Engine) -> None:
    with seeded_engine.connect() as connection:
        columns = set(connection.execute(text("SELECT * FROM api_key")).keys())
    assert columns == {
        "id",
        "name",
        "role",
        "organization_id",
        "key_hash",
        "created_at",
        "revoked_at",
    }
