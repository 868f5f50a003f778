"""Examples of each operation's 200 response, made from the seed data by `make openapi`.

They are generated, never edited by hand: `generate_examples()` seeds a throwaway
in-memory database, asks the app for one page of each list and one record of each type,
and `openapi/examples.json` keeps the result so the served spec needs no database.
"""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EXAMPLES_FILE = Path(__file__).resolve().parent.parent / "openapi" / "examples.json"
EXAMPLE_TIME = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)  # stable, so the file does not churn


def load_examples() -> dict[str, Any]:
    if not EXAMPLES_FILE.exists():
        return {}
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def generate_examples() -> dict[str, Any]:
    # Development-time imports: the test client and the seed are not needed to serve.
    from fastapi.testclient import TestClient
    from sqlalchemy import update
    from sqlalchemy.pool import StaticPool
    from sqlmodel import Session, SQLModel, create_engine

    import models
    from api.app import create_app
    from api.settings import Settings
    from seed.loader import load_seed

    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        load_seed(session)
        for table in (
            models.Organization,
            models.Service,
            models.ReportingChannel,
            models.Guidance,
        ):
            session.execute(update(table).values(last_modified=EXAMPLE_TIME))
        session.commit()
    app = create_app(Settings(database_url="sqlite://"), engine=engine)
    client = TestClient(app, base_url="http://127.0.0.1:8000")
    spec = app.openapi()
    examples: dict[str, Any] = {}
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        if path.endswith("/{id}"):
            first = client.get(path.removesuffix("/{id}"), params={"per_page": 1}).json()
            examples[operation["operationId"]] = client.get(
                path.replace("{id}", first["contents"][0]["id"])
            ).json()
        elif path == "/v1/":
            examples[operation["operationId"]] = client.get(path).json()
        else:
            examples[operation["operationId"]] = client.get(path, params={"per_page": 1}).json()
    engine.dispose()
    return examples


def examples_text(examples: dict[str, Any]) -> str:
    return json.dumps(examples, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
