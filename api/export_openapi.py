"""`make openapi`: regenerate the response examples from the seed, then write the spec."""

import json
import sys
from pathlib import Path

from api.app import create_app
from api.openapi_examples import EXAMPLES_FILE, examples_text, generate_examples
from api.settings import Settings


def openapi_text() -> str:
    app = create_app(Settings(database_url="sqlite://"))
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    EXAMPLES_FILE.write_text(examples_text(generate_examples()), encoding="utf-8")
    Path(sys.argv[1]).write_text(openapi_text(), encoding="utf-8")
