"""JSON Merge Patch (RFC 7386): how a PATCH body changes a record's JSON."""

from typing import Any


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """`null` removes a member; objects merge recursively; anything else (arrays
    included) replaces the target value whole."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result
