"""What makes a change safety-critical: it touches a way of reaching someone."""

import json
from typing import Any

# A wrong value in any of these could send a person in danger to the wrong place.
CONTACT_KEYS = frozenset(
    {"number", "email", "url", "website", "uri", "logo", "schedule_link", "term_uri"}
)
# Which record a nested item belongs to: bookkeeping, not something a person relies on.
OWNER_KEYS = frozenset({"id", "service_id", "organization_id", "contact_id", "link_id"})


def contact_points(document: Any) -> list[tuple[tuple[str, ...], str]]:
    """Every phone number, email address and URL in a record, sorted, each with where it is
    and, inside a nested item (a phone, a contact, a schedule), everything else that item
    says about it: a number's type, extension and description say what it is for, so moving
    a number to another line, or relabelling it, is a change to that number."""
    found: list[tuple[tuple[str, ...], str]] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            points = {k: v for k, v in node.items() if k in CONTACT_KEYS and isinstance(v, str)}
            if points:
                facts = points
                if path:
                    facts = {
                        k: v
                        for k, v in node.items()
                        if k not in OWNER_KEYS and not isinstance(v, dict | list)
                    }
                found.append((path, json.dumps(facts, sort_keys=True, default=str)))
            for key, value in node.items():
                if isinstance(value, dict | list):
                    walk(value, (*path, key))
        elif isinstance(node, list):
            for item in node:
                walk(item, path)

    walk(document, ())
    return sorted(found)


def touches_contact_points(before: Any, after: Any) -> bool:
    return contact_points(before) != contact_points(after)
