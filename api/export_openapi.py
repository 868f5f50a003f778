"""Write the app's OpenAPI document to a file (`make openapi`), in a stable layout."""

import json
import sys
from pathlib import Path

from api.app import create_app
from api.settings import Settings


def openapi_text() -> str:
    app = create_app(Settings(database_url="sqlite://"))
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(openapi_text(), encoding="utf-8")
