"""Access for other systems: API keys (stored hashed) and the webhooks that receive dossier
events through the notification outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from district_portal.models.base import Base
from district_portal.models.office import Office
from district_portal.models.types import JSONType, UTCDateTime, utcnow


class ApiKey(Base):
    """A key presented as `Authorization: Bearer dp_<prefix>_<secret>`. Only the SHA-256 of
    the whole key is kept; the prefix finds the row, the hash is compared in constant time."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # public key id
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of the whole key
    scopes: Mapped[list] = mapped_column(JSONType, default=list)
    # None: every office; otherwise this office and the offices below it.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: CLI
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    office: Mapped[Office | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Webhook(Base):
    """A receiver of dossier events, either for one API key (seeing what that key may see) or
    for one office (that office and the offices below it). The secret signs each delivery
    (HMAC-SHA256), so it is kept as given: both sides must know it."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    url: Mapped[str] = mapped_column(String(300))
    secret: Mapped[str] = mapped_column(String(200))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: CLI
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    api_key: Mapped[ApiKey | None] = relationship()
    office: Mapped[Office | None] = relationship()
