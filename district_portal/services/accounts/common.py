"""What the account services share: their error, hashing of high-entropy secrets and aware
datetimes (SQLite returns naive ones)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from district_portal.services.errors import ServiceError


class AccountError(ServiceError):
    """A request about an account was refused; `field` names the form field it belongs to."""

    def __init__(self, message, field: str | None = None, *, keep_changes: bool = False):
        super().__init__(message, keep_changes=keep_changes)
        self.field = field


def sha256_hex(secret: str) -> str:
    """The stored form of a random token (links): SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
