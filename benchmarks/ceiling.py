"""The ceiling: bare FastAPI routes that send ready-made bytes, nothing else.

Served by the same uvicorn as the app, it shows the most any FastAPI app can do on this
machine; `make bench` reports helpdir's throughput as a fraction of it. The bytes come
from the JSON file named by CEILING_BODIES: {"name": {"status": 200, "body": "...",
"headers": {...}}}, captured from the real app just before.
"""

import json
import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response

_CASES = json.loads(Path(os.environ["CEILING_BODIES"]).read_text(encoding="utf-8"))

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


def _route(status: int, body: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    async def ceiling() -> Response:
        return Response(body, status_code=status, headers=headers, media_type="application/json")

    return ceiling


for _name, _case in _CASES.items():
    app.add_api_route(
        f"/ceiling/{_name}",
        _route(_case["status"], _case["body"].encode(), _case["headers"]),
        methods=["GET"],
    )
