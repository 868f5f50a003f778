"""The path a request names inside this app, whatever prefix a proxy mounts it under."""

from starlette.types import Scope


def app_path(scope: Scope) -> str:
    """`scope["path"]` without `root_path` (uvicorn --root-path puts it in front)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
