"""Making, finding and revoking API keys. A key is shown once; only its hash is kept."""

import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import select
from sqlmodel import Session

from models import ApiKey
from models.api_key import Role
from models.base import utcnow

KEY_PREFIX = "hd_"


def hash_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: Session, name: str, role: Role, organization_id: uuid.UUID | None
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its secret, which is never stored."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(
        name=name, role=role, organization_id=organization_id, key_hash=hash_key(secret)
    )
    session.add(record)
    session.commit()
    session.refresh(record)
    return record, secret


def find_active_key(session: Session, presented: str) -> ApiKey | None:
    digest = hash_key(presented)
    record = session.scalars(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    # The lookup is by hash; the constant-time compare keeps the final check timing-neutral.
    if record is None or not hmac.compare_digest(record.key_hash, digest):
        return None
    return None if record.revoked_at is not None else record


def revoke_key(session: Session, key_id: uuid.UUID) -> bool:
    record = session.get(ApiKey, key_id)
    if record is None:
        return False
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        session.commit()
    return True
