"""Register numbers of issued results (số vào sổ): per office, procedure and calendar year.

"Số: 15/2026", and for a procedure that keeps a register book (the result definition's
`register_book`), "Quyển số: 01/2026". The number is taken in the issuing transaction by an
upsert that locks the counter row until the transaction ends: two leaders issuing at once
queue for it, and a refused or rolled-back issue gives its number back, so the register has
no gap and no duplicate on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from district_portal.models import Office, Procedure, ResultRegister
from district_portal.text import to_local

__all__ = ["RegisterEntry", "allocate", "entry_from"]

BOOK = 1  # one register book per office, procedure and year


@dataclass(frozen=True, kw_only=True)
class RegisterEntry:
    number: int
    year: int
    book: int | None  # None: the procedure keeps no register book

    @property
    def number_text(self) -> str:
        """'15/2026'."""
        return f"{self.number}/{self.year}"

    @property
    def book_text(self) -> str:
        """'01/2026', or '' without a register book."""
        return f"{self.book:02d}/{self.year}" if self.book else ""

    def as_dict(self) -> dict:
        return {"number": self.number, "year": self.year, "book": self.book}


def allocate(session: Session, office: Office, procedure: Procedure, at: datetime, *,
             book: bool = False) -> RegisterEntry:
    """The next register number of `office` for `procedure` in the local year of `at`.

    Call it inside the issuing transaction; the counter row stays locked until it ends."""
    year = to_local(at).year
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(ResultRegister)
        .values(office_id=office.id, procedure_id=procedure.id, year=year, last_number=1)
        .on_conflict_do_update(index_elements=["office_id", "procedure_id", "year"],
                               set_={"last_number": ResultRegister.last_number + 1})
        .returning(ResultRegister.last_number)
    )
    number = session.execute(stmt).scalar_one()
    return RegisterEntry(number=number, year=year, book=BOOK if book else None)


def entry_from(result: dict | None) -> RegisterEntry | None:
    """The register entry stored with an issued result (Dossier.result['register'])."""
    data = (result or {}).get("register")
    if not data:
        return None
    return RegisterEntry(number=int(data["number"]), year=int(data["year"]),
                         book=data.get("book"))
