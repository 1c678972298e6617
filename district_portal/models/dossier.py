"""Dossiers (hồ sơ), their append-only events, attachments and code counters."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from district_portal.models.base import Base
from district_portal.models.catalog import Procedure, ProcedureVersion
from district_portal.models.office import Office
from district_portal.models.types import JSONType, PublicId, UTCDateTime, new_public_id, utcnow
from district_portal.models.user import User


class DossierStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    PAYMENT_REQUESTED = "payment_requested"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    DONE = "done"
    RETURNED = "returned"


class Action(enum.StrEnum):
    """What can happen to a dossier: the keys of the workflow's transition table and the
    `action` of each DossierEvent."""

    SUBMIT = "submit"
    ACCEPT = "accept"
    REFUSE = "refuse"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT = "supplement"
    ASSIGN = "assign"
    TRANSFER = "transfer"
    REQUEST_PAYMENT = "request_payment"
    PAY = "pay"
    COMPLETE = "complete"
    RETURN_RESULT = "return_result"
    STOP = "stop"
    EXTEND = "extend"
    WITHDRAW = "withdraw"
    RATE = "rate"



def _enum(cls, name):
    return Enum(cls, name=name, native_enum=False, length=30,
                values_callable=lambda e: [m.value for m in e])


class Dossier(Base):
    __tablename__ = "dossier"
    __table_args__ = (
        # The inbox's ordered ranges; a name search walking them reads the name here too.
        Index("ix_dossier_office_status_due", "receiving_office_id", "status", "due_at", "id",
              "applicant_name_search", "ref"),
        Index("ix_dossier_handling_status_due", "handling_office_id", "status", "due_at", "id"),
        # The inbox's "handled here, received elsewhere" branch (transferred dossiers).
        Index("ix_dossier_handling_status_receiving", "handling_office_id", "status",
              "receiving_office_id", "due_at"),
        # Statistics (services/stats): covering indexes in GROUP BY order (office, procedure),
        # so a long period reads no rows and sorts nothing.
        Index("ix_dossier_stats_submitted", "receiving_office_id", "procedure_id",
              "submitted_at", "status", "channel", "intake_due_at", "accepted_at",
              "completed_at"),
        Index("ix_dossier_stats_completed", "handling_office_id", "procedure_id",
              "completed_at", "status", "due_at", "accepted_at"),
        Index("ix_dossier_stats_returned", "returned_at", "receiving_office_id", "status",
              "rating"),
        # "Assigned to me": an officer's own dossiers by status and due time.
        Index("ix_dossier_assignee_status_due", "assignee_id", "status", "due_at", "id"),
        # The inbox's "intake overdue" count reads today's range of intake due times.
        Index("ix_dossier_office_status_intake", "receiving_office_id", "status",
              "intake_due_at"),
        # A leader's "waiting for issue": the few dossiers with a prepared result, by due time.
        # (With the receiving office, as in ix_dossier_handling_status_receiving: SQLite then
        # prefers this far smaller index without statistics for it.)
        Index("ix_dossier_to_issue", "handling_office_id", "status", "receiving_office_id",
              "due_at", "id",
              sqlite_where=text("verification_token IS NOT NULL"),
              postgresql_where=text("verification_token IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    ref: Mapped[str | None] = mapped_column(String(8), unique=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"), index=True)
    procedure_version_id: Mapped[int] = mapped_column(ForeignKey("procedure_version.id"))
    receiving_office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"),
                                                              active_history=True)
    handling_office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"),
                                                             active_history=True)
    applicant_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"),
                                                      active_history=True)
    # Applicant section: type, full name, id number / tax code, representative, phone (E.164),
    # email, address, commune code.
    applicant: Mapped[dict] = mapped_column(JSONType, default=dict)
    applicant_name_search: Mapped[str] = mapped_column(String(300), default="")
    applicant_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    answers: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[DossierStatus] = mapped_column(
        _enum(DossierStatus, "dossier_status"), default=DossierStatus.DRAFT, index=True,
        active_history=True,  # the inbox counts need the old value (services/dossiers/counts)
    )
    # The status to go back to after a supplement or a payment.
    resume_status: Mapped[str | None] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10), default="online")  # online / counter
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    intake_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, active_history=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, active_history=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remaining_seconds: Mapped[int | None] = mapped_column(BigInteger)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery: Mapped[dict] = mapped_column(JSONType, default=dict)  # way, address, waybill
    fee: Mapped[int] = mapped_column(BigInteger, default=0)  # VND; the total of fee_lines
    # The bill worked out at submission (services/catalog/fees.py FeeLine.to_json()).
    fee_lines: Mapped[list | None] = mapped_column(JSONType)
    payment_state: Mapped[str] = mapped_column(String(12), default="none")
    # The issued result (set by `complete`): kind ("rendered" or "scan"), sha256 (of the
    # issued file), attachment (its public id), signed (a signed scan), issued_by (the
    # leader's public id). The /verify token is the verification_token column.
    result: Mapped[dict] = mapped_column(JSONType, default=dict)
    verification_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    submission_nonce: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    procedure: Mapped[Procedure] = relationship()
    procedure_version: Mapped[ProcedureVersion] = relationship()
    receiving_office: Mapped[Office | None] = relationship(foreign_keys=[receiving_office_id])
    handling_office: Mapped[Office | None] = relationship(foreign_keys=[handling_office_id])
    applicant_user: Mapped[User | None] = relationship(foreign_keys=[applicant_user_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    events: Mapped[list[DossierEvent]] = relationship(
        back_populates="dossier", order_by="DossierEvent.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="dossier", order_by="Attachment.id"
    )


class DossierEvent(Base):
    """Append-only history: the control slip and the history page are read from it."""

    __tablename__ = "dossier_event"
    # Statistics: supplements, extensions and payments by action; the changes feed's keyset.
    __table_args__ = (Index("ix_dossier_event_action", "action", "dossier_id", "at"),
                      Index("ix_dossier_event_at_id", "at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    from_office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    to_office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # Whether the applicant may read the note: staff notes (a transfer's reason) are internal
    # unless the action writes to the applicant (a refusal's reason) or staff chose to show it.
    note_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    data: Mapped[dict] = mapped_column(JSONType, default=dict)

    dossier: Mapped[Dossier] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    from_office: Mapped[Office | None] = relationship(foreign_keys=[from_office_id])
    to_office: Mapped[Office | None] = relationship(foreign_keys=[to_office_id])

    @property
    def applicant_note(self) -> str | None:
        """The note as the applicant sees it: None when it is internal."""
        return self.note if self.note_public else None


class Attachment(Base):
    __tablename__ = "attachment"
    # Is a stored file still named by a row? (removing a file, `portal purge`)
    __table_args__ = (Index("ix_attachment_stored_name", "stored_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    document_key: Mapped[str] = mapped_column(String(40))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64))  # SHA-256 of the content
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(BigInteger)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(12), default="applicant")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dossier: Mapped[Dossier] = relationship(back_populates="attachments")


class DossierCounter(Base):
    """Next dossier number per receiving office per local day (no gaps, no duplicates)."""

    __tablename__ = "dossier_counter"
    __table_args__ = (UniqueConstraint("office_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    day: Mapped[date] = mapped_column(Date)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class ResultRegister(Base):
    """Last register number (số vào sổ) of issued results per office, procedure and calendar
    year: "Số: 15/2026". Gap-free: the row is upserted and stays locked until the issuing
    transaction ends, so a rolled-back issue gives its number back."""

    __tablename__ = "result_register"
    __table_args__ = (UniqueConstraint("office_id", "procedure_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class InboxCount(Base):
    """How many dossiers share one inbox key (services/dossiers/counts.py): the receiving and
    handling offices, the status, the assignee and the UTC day number of the deadline the
    inbox counts against, and 1 when its result is prepared (0 stands for "none" in every
    column, so the key is a plain unique
    key). Kept by every flush that inserts, changes or deletes a dossier, in its transaction;
    `portal inbox-recount` rebuilds it from the dossiers."""

    __tablename__ = "inbox_count"

    receiving_office_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handling_office_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    assignee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    result: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)  # 1: to issue
    n: Mapped[int] = mapped_column(BigInteger, default=0)
