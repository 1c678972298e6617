"""Payments of a dossier's fee (online through a provider, or at the desk), the gap-free
receipt counter, and the sandbox gateway's own record of what it answered."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from district_portal.models.base import Base
from district_portal.models.dossier import Dossier
from district_portal.models.office import Office
from district_portal.models.types import JSONType, PublicId, UTCDateTime, new_public_id, utcnow
from district_portal.models.user import User


class PaymentState(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"


# Partial unique indexes, written the same for SQLite and PostgreSQL.
ONE_PENDING = text("state = 'pending'")
REAL_TXN_NO = text("provider_txn_no IS NOT NULL AND provider_txn_no <> '0'")


class Payment(Base):
    """One attempt to pay one dossier's fee. Only the provider's notification (or a clerk at
    the desk) moves it out of `pending`; amounts are whole đồng."""

    __tablename__ = "payment"
    __table_args__ = (
        # Double-clicking "pay" leaves one pending attempt per dossier.
        Index("uq_payment_one_pending", "dossier_id", unique=True,
              sqlite_where=ONE_PENDING, postgresql_where=ONE_PENDING),
        # A provider's transaction number is recorded once (cancelled ones carry 0).
        Index("uq_payment_provider_txn_no", "provider", "provider_txn_no", unique=True,
              sqlite_where=REAL_TXN_NO, postgresql_where=REAL_TXN_NO),
        Index("ix_payment_state_created", "state", "created_at"),
        UniqueConstraint("receipt_office_id", "receipt_year", "receipt_number",
                         name="uq_payment_receipt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    provider: Mapped[str] = mapped_column(String(10))  # "vnpay" or "desk"
    txn_ref: Mapped[str] = mapped_column(String(40), unique=True)  # ours, one per attempt
    amount: Mapped[int] = mapped_column(BigInteger)  # đồng
    state: Mapped[str] = mapped_column(String(10), default=PaymentState.PENDING)
    provider_txn_no: Mapped[str | None] = mapped_column(String(40))
    raw: Mapped[dict] = mapped_column(JSONType, default=dict)  # the provider's answer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The e-receipt (biên lai): number gap-free per collecting office and year.
    receipt_office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    receipt_year: Mapped[int | None] = mapped_column(Integer)
    receipt_number: Mapped[int | None] = mapped_column(Integer)

    dossier: Mapped[Dossier] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    receipt_office: Mapped[Office | None] = relationship()


class ReceiptCounter(Base):
    """Last e-receipt number per collecting office and calendar year."""

    __tablename__ = "receipt_counter"
    __table_args__ = (UniqueConstraint("office_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class SandboxTransaction(Base):
    """What the built-in sandbox gateway (PORTAL_PAYMENT_SANDBOX=1) decided for one payment
    URL, as VNPay would keep it: answers its query API and lets a tester replay the IPN."""

    __tablename__ = "sandbox_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    txn_ref: Mapped[str] = mapped_column(String(100), unique=True)
    transaction_no: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)  # VND × 100, as VNPay counts
    outcome: Mapped[str] = mapped_column(String(10))  # success, failure, cancel
    ipn: Mapped[dict] = mapped_column(JSONType, default=dict)  # the signed IPN parameters
    return_url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
