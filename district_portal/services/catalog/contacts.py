"""How to reach an office, from the catalogue's office data: address, phone and opening
hours. Shown where people get stuck (the procedure page, the tracking page, every footer)
instead of "call the one-stop desk"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from district_portal.services.calendar.worktime import DEFAULT_HOURS, parse_hours
from district_portal.services.catalog import queries

#: The footer lists the offices themselves up to this many; beyond, it links to the list.
FOOTER_MAX = 6


@dataclass(frozen=True)
class Contact:
    agency_code: str
    name: str
    address: str
    phone: str  # as the catalogue writes it, e.g. "0218 3852 004"
    tel: str  # the same for a tel: link, digits only ("" without a phone)
    hours: str  # opening periods on working days, e.g. "07:00–11:30, 13:30–17:00"


@dataclass(frozen=True)
class HelpList:
    contacts: list[Contact]  # every active office that receives a published procedure

    @property
    def in_footer(self) -> list[Contact]:
        """What the footer shows: every office while they are few, none (a link) beyond."""
        return self.contacts if len(self.contacts) <= FOOTER_MAX else []


def hours_text(hours: list[str] | None) -> str:
    """["07:30-11:30", "13:30-17:00"] → "07:30–11:30, 13:30–17:00"; the default hours when
    the office has none of its own."""
    try:
        periods = parse_hours(hours) if hours else DEFAULT_HOURS
    except ValueError:
        periods = DEFAULT_HOURS
    return ", ".join(f"{start:%H:%M}–{end:%H:%M}" for start, end in periods)


def contact_of(office) -> Contact:
    """The contact card of one office."""
    phone = (office.phone or "").strip()
    tel = re.sub(r"[^\d+]", "", phone)
    return Contact(agency_code=office.agency_code, name=office.name,
                   address=(office.address or "").strip(), phone=phone, tel=tel,
                   hours=hours_text(office.hours))


def contacts_of(offices) -> list[Contact]:
    """Contact cards of the active ones among `offices`, in the order given."""
    return [contact_of(o) for o in offices if o.active]


def help_offices(session: Session) -> HelpList:
    """Every active office receiving a published procedure, in Vietnamese alphabetical
    order, as contact cards."""
    return HelpList(contacts_of(queries.receiving_offices(session)))
