"""Who is calling: `Authorization: Bearer <key>` resolved to a role (and an organisation)."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.errors import Forbidden, Unauthorized
from api.keys import find_active_key
from models.api_key import Role

bearer = HTTPBearer(auto_error=False, description="An API key from `helpdir keys create`.")


@dataclass(frozen=True)
class Caller:
    key_id: uuid.UUID
    name: str
    role: Role
    organization_id: uuid.UUID | None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    def may_edit_organization(self, organization_id: uuid.UUID | None) -> bool:
        return self.is_admin or (
            organization_id is not None and organization_id == self.organization_id
        )


def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("An API key is needed: send `Authorization: Bearer <key>`.")
    # Its own short session: the write that follows starts a clean transaction.
    with Session(request.app.state.engine) as session:
        key = find_active_key(session, credentials.credentials)
        if key is None:
            raise Unauthorized("This API key is not valid or has been revoked.")
        return Caller(key.id, key.name, Role(key.role), key.organization_id)


def admin_caller(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    if not caller.is_admin:
        raise Forbidden("Only an administrator may do this.")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
AdminDep = Annotated[Caller, Depends(admin_caller)]
