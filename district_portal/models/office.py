"""Offices: the province, its service centre, departments and communes (a tree)."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from district_portal.models.base import Base
from district_portal.models.types import JSONType

PROVISIONAL_PREFIX = "TMP."


class OfficeKind(enum.StrEnum):
    PROVINCE = "province"
    CENTRE = "centre"
    DEPARTMENT = "department"
    COMMUNE = "commune"


class Office(Base):
    __tablename__ = "office"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[OfficeKind] = mapped_column(
        Enum(OfficeKind, name="office_kind", native_enum=False, length=20,
             values_callable=lambda e: [m.value for m in e])
    )
    admin_unit_code: Mapped[int | None] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    address: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(40))
    # Opening periods on working days as "HH:MM-HH:MM" strings; None means the default.
    hours: Mapped[list | None] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Postage for sending a result by post, in đồng; None: this office does not post results.
    postage: Mapped[int | None] = mapped_column(Integer)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))

    parent: Mapped[Office | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list[Office]] = relationship(
        back_populates="parent", foreign_keys=[parent_id]
    )
    successor: Mapped[Office | None] = relationship(remote_side=[id], foreign_keys=[successor_id])

    @property
    def is_provisional(self) -> bool:
        """Offices created by units-import cannot issue dossier codes until given a real code."""
        return self.agency_code.startswith(PROVISIONAL_PREFIX)

    def current(self) -> Office | None:
        """The office that takes this office's new dossiers: itself while active, else its
        successor's (followed along a chain of mergers); None when the chain ends at an
        inactive office without a successor (or loops)."""
        office, seen = self, set()
        while office is not None and not office.active and office.id not in seen:
            seen.add(office.id)
            office = office.successor
        return office if office is not None and office.active else None

    def __repr__(self) -> str:
        return f"<Office {self.agency_code}>"
