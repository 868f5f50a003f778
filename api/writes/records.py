"""Creating, changing, retiring and verifying records: the one path every write takes.

Each write to an existing record runs in one transaction that first bumps the record's
`version` (an UPDATE, so the database makes concurrent writers to one record take turns),
then checks the caller's If-Match against the record as it is now, validates, applies,
and records the change for the history and the feed. Any failure rolls everything back.
A partner's change to a phone number, email, URL or reporting channel is not applied: it
is held as a change request for an administrator.
"""

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from api.auth import Caller
from api.dataset_version import lock_dataset
from api.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ProblemError,
    Unprocessable,
)
from api.merge_patch import apply_merge_patch
from api.rendering import etag_for
from api.search import index_service
from api.writes.cascade import cascade
from api.writes.history import field_changes, record_change
from api.writes.resources import Resource, check_references, reindex, render, set_fields
from api.writes.safety import touches_contact_points
from models import (
    Attribute,
    ChangeRequest,
    Organization,
    ReportingChannel,
    Service,
    TaxonomyTerm,
)
from models.change import ChangeAction
from models.change_request import RequestAction


def etag_of(document: dict[str, Any]) -> str:
    """The ETag GET sends for this record (the hash of its exact bytes)."""
    return etag_for(orjson.dumps(document))


@dataclass(frozen=True)
class Published:
    record: dict[str, Any]
    etag: str


@dataclass(frozen=True)
class Held:
    request: ChangeRequest


def now() -> datetime:
    return datetime.now(UTC)


@contextlib.contextmanager
def _write_session(engine: Engine) -> Iterator[Session]:
    """A session whose first statement takes the dataset lock (api/dataset_version.py)."""
    with Session(engine) as session:
        lock_dataset(session)
        yield session


# -- permissions --------------------------------------------------------------------------


def _may(caller: Caller, allowed_for_partner: bool, organization_id: uuid.UUID | None) -> None:
    if caller.is_admin:
        return
    if not allowed_for_partner:
        raise Forbidden("A partner key may not do this; ask an administrator.")
    if organization_id is None or organization_id != caller.organization_id:
        raise Forbidden("A partner key may change only its own organisation and its services.")


def _needs_review(
    caller: Caller, resource: Resource, before: dict[str, Any], data: BaseModel
) -> bool:
    if caller.is_admin:
        return False
    if resource.always_reviewed:
        return True
    # Compare what the client can change; read-only parts (the organisation, the sources,
    # an attribute's taxonomy term) carry URLs of their own that this change does not touch.
    editable = {k: v for k, v in before.items() if k not in resource.read_only}
    # (A new record has nothing to validate: every contact point in it is new.)
    with contextlib.suppress(ValidationError):
        editable = resource.write.model_validate(editable).model_dump(
            mode="json", exclude_none=True
        )
    return touches_contact_points(editable, data.model_dump(mode="json", exclude_none=True))


# -- validation ---------------------------------------------------------------------------


def _validate(session: Session, resource: Resource, payload: Any) -> BaseModel:
    if not isinstance(payload, dict):
        raise Unprocessable("The body must be a JSON object.")
    try:
        data = resource.write.model_validate(payload)
    except ValidationError as exc:
        errors = [
            ProblemError(field=".".join(str(p) for p in e["loc"]) or "(body)", message=e["msg"])
            for e in exc.errors()
        ]
        raise Unprocessable("The record is not valid.", errors) from None
    check_references(session, resource, data)
    return data


def _patched(session: Session, resource: Resource, before: dict[str, Any], patch: Any) -> BaseModel:
    merged = apply_merge_patch(before, patch)
    if not isinstance(merged, dict):
        raise Unprocessable("A merge patch of a record must be a JSON object.")
    errors = [
        ProblemError(field=name, message="is read-only")
        for name in sorted(resource.read_only)
        if merged.get(name) != before.get(name)
    ]
    if errors:
        raise Unprocessable("The patch changes fields that cannot be changed.", errors)
    return _validate(
        session, resource, {k: v for k, v in merged.items() if k not in resource.read_only}
    )


def _check_term_parent(session: Session, term_id: uuid.UUID, data: BaseModel) -> None:
    parent_id = getattr(data, "parent_id", None)
    seen = {term_id}
    while parent_id is not None:
        if parent_id in seen:
            raise Unprocessable(
                "A term cannot be its own ancestor.",
                [ProblemError(field="parent_id", message="would make a cycle")],
            )
        seen.add(parent_id)
        parent = session.get(TaxonomyTerm, parent_id)
        if parent is None:
            return
        if parent_id == getattr(data, "parent_id", None) and parent.taxonomy_id != getattr(
            data, "taxonomy_id", None
        ):
            raise Unprocessable(
                "A term's parent must be in the same taxonomy.",
                [ProblemError(field="parent_id", message="is in another taxonomy")],
            )
        parent_id = parent.parent_id


# -- the record as it is, locked ----------------------------------------------------------


def _lock(session: Session, resource: Resource, record_id: uuid.UUID) -> Any:
    table: Any = resource.table
    bumped = session.execute(
        update(table)
        .where(table.id == record_id, table.retired_at.is_(None))
        .values(version=table.version + 1)
    )
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"No {resource.type.value} has the id {record_id}.")
    session.expire_all()
    return resource.load(session, record_id)


def _require_if_match(if_match: str | None) -> str:
    if not if_match or if_match.strip() == "*":
        raise PreconditionRequired(
            "Send If-Match with the record's current ETag (from a GET) to change it."
        )
    return if_match.strip()


def _lock_as_read(
    session: Session, resource: Resource, record_id: uuid.UUID, if_match: str | None
) -> tuple[Any, dict[str, Any], str]:
    """Lock the record and check the caller read it as it is now: (row, its body, ETag)."""
    expected = _require_if_match(if_match)
    row = _lock(session, resource, record_id)
    before = render(resource, row)
    if etag_of(before) != expected:
        raise PreconditionFailed("The record has changed since you read it; GET it again.")
    return row, before, expected


def _visible(session: Session, resource: Resource, record_id: uuid.UUID) -> Any:
    row = resource.load(session, record_id)
    if row is None:
        raise NotFound(f"No {resource.type.value} has the id {record_id}.")
    return row


# -- applying -----------------------------------------------------------------------------


def _apply(
    session: Session,
    resource: Resource,
    row: Any,
    before: dict[str, Any],
    data: BaseModel,
    actor: str,
) -> Published:
    own_ids = _nested_ids(before)
    set_fields(resource, row, data)
    if resource.write_parts is not None:
        resource.write_parts(session, row, data, own_ids)
    session.flush()
    session.expire_all()
    row = resource.load(session, row.id)
    after = render(resource, row)
    fields = field_changes(before, after)
    if not fields:
        return Published(before, etag_of(before))
    at = now()
    if hasattr(row, "last_modified"):
        row.last_modified = at
        session.add(row)
        session.flush()
        session.expire_all()
        row = resource.load(session, row.id)
        after = render(resource, row)
    reindex(session, resource, row, changed=[change["field"] for change in fields])
    cascade(session, resource, row, before, actor, at)
    # Rendered after the cascade: an organisation shows its services as they are now.
    row = resource.load(session, row.id)
    after = render(resource, row)
    fields = field_changes(before, after)
    record_change(session, resource.type, row.id, ChangeAction.updated, actor, at, fields, after)
    return Published(after, etag_of(after))


def _nested_ids(document: Any) -> set[uuid.UUID]:
    ids: set[uuid.UUID] = set()

    def walk(node: Any, top: bool) -> None:
        if isinstance(node, dict):
            if not top and isinstance(node.get("id"), str):
                ids.add(uuid.UUID(node["id"]))
            for value in node.values():
                walk(value, False)
        elif isinstance(node, list):
            for item in node:
                walk(item, False)

    walk(document, True)
    return ids


def _insert(
    session: Session, resource: Resource, data: BaseModel, record_id: uuid.UUID, actor: str
) -> Published:
    table: Any = resource.table
    at = now()
    row = table(id=record_id, **{name: getattr(data, name) for name in resource.base.model_fields})
    if hasattr(row, "last_modified"):
        row.last_modified = at
    session.add(row)
    session.flush()
    if resource.write_parts is not None:
        resource.write_parts(session, row, data, set())
    session.flush()
    session.expire_all()
    row = resource.load(session, record_id)
    reindex(session, resource, row)
    after = render(resource, row)
    record_change(session, resource.type, record_id, ChangeAction.created, actor, at, [], after)
    cascade(session, resource, row, {}, actor, at)
    return Published(after, etag_of(after))


# -- the operations -----------------------------------------------------------------------


def create_record(
    engine: Engine, resource: Resource, payload: dict[str, Any], caller: Caller
) -> Published | Held:
    with _write_session(engine) as session:
        data = _validate(session, resource, payload)
        owner = resource.owner(data) if resource.partner_may_create else None
        _may(caller, resource.partner_may_create, owner)
        record_id = uuid.uuid4()
        if resource.type.value == "taxonomy_term":
            _check_term_parent(session, record_id, data)
        if _needs_review(caller, resource, {}, data):
            return Held(
                _hold(session, resource, record_id, RequestAction.create, payload, None, caller)
            )
        published = _insert(session, resource, data, record_id, caller.name)
        session.commit()
        return published


def update_record(
    engine: Engine,
    resource: Resource,
    record_id: uuid.UUID,
    patch: Any,
    if_match: str | None,
    caller: Caller,
) -> Published | Held:
    with _write_session(engine) as session:
        _may(
            caller,
            resource.partner_may_edit,
            resource.owner(_visible(session, resource, record_id)),
        )
        row, before, expected = _lock_as_read(session, resource, record_id, if_match)
        data = _patched(session, resource, before, patch)
        moved_to = getattr(data, "organization_id", None)
        if moved_to is not None and moved_to != getattr(row, "organization_id", moved_to):
            _may(caller, False, None)  # moving a record to another organisation: admins only
        if resource.type.value == "taxonomy_term":
            _check_term_parent(session, record_id, data)
        if _needs_review(caller, resource, before, data):
            session.rollback()
            return Held(
                _hold(session, resource, record_id, RequestAction.update, patch, expected, caller)
            )
        published = _apply(session, resource, row, before, data, caller.name)
        session.commit()
        return published


def retire_record(
    engine: Engine,
    resource: Resource,
    record_id: uuid.UUID,
    if_match: str | None,
    caller: Caller,
) -> None:
    with _write_session(engine) as session:
        _may(
            caller,
            resource.partner_may_retire,
            resource.owner(_visible(session, resource, record_id)),
        )
        row, before, _ = _lock_as_read(session, resource, record_id, if_match)
        blocker = _retirement_blocker(session, row)
        if blocker:
            raise Conflict(blocker)
        at = now()
        row.retired_at = at
        if hasattr(row, "last_modified"):
            row.last_modified = at
        session.add(row)
        record_change(
            session, resource.type, record_id, ChangeAction.deleted, caller.name, at, [], None
        )
        cascade(session, resource, row, before, caller.name, at)
        if isinstance(row, Service):
            # A retired service leaves the search index, so a search-only count can be
            # read from the index alone (api/queries/services.py).
            index_service(session, row)
        session.commit()


def _retirement_blocker(session: Session, row: Any) -> str | None:
    """Retiring must not leave live records pointing at a retired one."""

    def in_use(table: Any, *conditions: Any) -> bool:
        live = [*conditions]
        if hasattr(table, "retired_at"):
            live.append(table.retired_at.is_(None))
        return session.scalar(select(func.count()).select_from(table).where(*live)) != 0

    if isinstance(row, Service) and in_use(ReportingChannel, ReportingChannel.service_id == row.id):
        return "Reporting channels still point at this service; retire or move them first."
    if isinstance(row, TaxonomyTerm) and (
        in_use(TaxonomyTerm, TaxonomyTerm.parent_id == row.id)
        or in_use(Attribute, Attribute.taxonomy_term_id == row.id)
    ):
        return "This term is still in use (by narrower terms or attributes)."
    if isinstance(row, Organization) and (
        in_use(Service, Service.organization_id == row.id)
        or in_use(ReportingChannel, ReportingChannel.organization_id == row.id)
    ):
        return "This organisation still has services or reporting channels; retire them first."
    return None


def verify_service(
    engine: Engine, resource: Resource, record_id: uuid.UUID, if_match: str | None, caller: Caller
) -> Published:
    """An administrator confirms the record is right: `assured_date` moves, `last_modified`
    does not (nothing in it changed)."""
    with _write_session(engine) as session:
        _may(caller, False, None)
        row, before, _ = _lock_as_read(session, resource, record_id, if_match)
        at = now()
        row.assured_date = at.date()
        session.add(row)
        session.flush()
        session.expire_all()
        row = resource.load(session, record_id)
        after = render(resource, row)
        record_change(
            session,
            resource.type,
            record_id,
            ChangeAction.verified,
            caller.name,
            at,
            field_changes(before, after),
            after,
        )
        cascade(session, resource, row, before, caller.name, at)
        session.commit()
        return Published(after, etag_of(after))


# -- review -------------------------------------------------------------------------------


def _hold(
    session: Session,
    resource: Resource,
    record_id: uuid.UUID,
    action: RequestAction,
    body: Any,
    base_etag: str | None,
    caller: Caller,
) -> ChangeRequest:
    request = ChangeRequest(
        id=uuid.uuid4(),
        requested_at=now(),
        resource_type=resource.type,
        resource_id=record_id,
        action=action,
        body=body,
        base_etag=base_etag,
        organization_id=caller.organization_id,
        requested_by=caller.name,
    )
    session.add(request)
    session.commit()
    session.refresh(request)
    return request


def approve_request(
    engine: Engine, resources: dict[Any, Resource], request_id: uuid.UUID, caller: Caller
) -> tuple[ChangeRequest, Published]:
    with _write_session(engine) as session:
        request = _pending(session, request_id)
        resource = resources[request.resource_type]
        actor = f"{request.requested_by} (approved by {caller.name})"
        if request.action == RequestAction.create:
            data = _validate(session, resource, request.body)
            published = _insert(session, resource, data, request.resource_id, actor)
        else:
            try:
                row = _lock(session, resource, request.resource_id)
            except NotFound:
                raise Conflict("The record has been retired since the request was made.") from None
            before = render(resource, row)
            if etag_of(before) != request.base_etag:
                raise Conflict(
                    "The record has changed since the request was made; reject it and ask "
                    "for a new one."
                )
            data = _patched(session, resource, before, request.body)
            published = _apply(session, resource, row, before, data, actor)
        _decide(session, request, "approved", caller, None)
        session.commit()
        session.refresh(request)
        return request, published


def reject_request(
    engine: Engine, request_id: uuid.UUID, reason: str, caller: Caller
) -> ChangeRequest:
    with Session(engine) as session:
        request = _pending(session, request_id)
        _decide(session, request, "rejected", caller, reason)
        session.commit()
        session.refresh(request)
        return request


def _pending(session: Session, request_id: uuid.UUID) -> ChangeRequest:
    # Claiming the request with an UPDATE first serialises two admins deciding at once.
    claimed = session.execute(
        update(ChangeRequest)
        .where(ChangeRequest.id == request_id, ChangeRequest.status == "pending")  # type: ignore[arg-type]
        .values(decided_at=now())
    )
    request = session.get(ChangeRequest, request_id)
    if request is None:
        raise NotFound(f"No change request has the id {request_id}.")
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        raise Conflict(f"This change request is already {request.status}.")
    return request


def _decide(
    session: Session, request: ChangeRequest, status: str, caller: Caller, reason: str | None
) -> None:
    request.status = status  # type: ignore[assignment]
    request.decided_by = caller.name
    request.decided_at = now()
    request.reason = reason
    session.add(request)
