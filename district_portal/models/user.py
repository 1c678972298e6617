"""Accounts: residents and staff, with roles, office and a session version."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from district_portal.models.base import Base
from district_portal.models.office import Office
from district_portal.models.types import JSONType, PublicId, UTCDateTime, new_public_id, utcnow


class Role(enum.StrEnum):
    CITIZEN = "citizen"
    CLERK = "clerk"
    OFFICER = "officer"
    LEADER = "leader"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.CLERK, Role.OFFICER, Role.LEADER, Role.ADMIN})


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (
        Index("uq_user_account_phone_confirmed", "phone", unique=True,
              sqlite_where=text("phone_verified_at IS NOT NULL"),
              postgresql_where=text("phone_verified_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    # A confirmed address (or one an admin entered): the only email used to log in, for
    # resets and for messages. An address typed at registration waits in pending_email
    # until its link is opened, so a registration never blocks or reveals its real owner.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    pending_email: Mapped[str | None] = mapped_column(String(254))
    # E.164. Unique among confirmed phones only (see __table_args__): an unconfirmed
    # registration cannot squat a number; whoever confirms it first owns it.
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    # Staff: the position printed under a signature ("Phó Chủ tịch"), on results and slips.
    job_title: Mapped[str | None] = mapped_column(String(100))
    roles: Mapped[list] = mapped_column(JSONType, default=list)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor login (TOTP, RFC 6238): the base32 secret once enrolment is confirmed, and
    # the last 30-second step a code was accepted for, so a code works only once.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    # Applicant details remembered to prefill forms: ID number, address, commune.
    profile: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    office: Mapped[Office | None] = relationship()

    def has_role(self, *roles: Role | str) -> bool:
        return any(str(r) in self.roles for r in roles)

    @property
    def is_staff(self) -> bool:
        return any(r in STAFF_ROLES for r in self.roles)

    @property
    def needs_two_factor(self) -> bool:
        """Staff and admins always; residents when they turned it on."""
        return self.is_staff or self.totp_enabled_at is not None

    # Flask-Login protocol, without importing Flask here.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        # The session version is part of the login token: bumping it ends old sessions.
        return f"{self.public_id}:{self.session_version}"


class UserSession(Base):
    """One login on one device. The cookie holds a random id whose SHA-256 is stored here;
    every request checks that the row is open and within its absolute lifetime, so logging
    out (or out everywhere) ends the session on the server, whatever copy of the cookie is
    replayed later."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserToken(Base):
    """Single-use tokens: phone verification codes, password-reset tokens and two-factor
    recovery codes (hashed)."""

    __tablename__ = "user_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # "verify_phone", "reset_password", "recovery_code"
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
