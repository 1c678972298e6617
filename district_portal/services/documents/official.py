"""How official documents write places, dates, times and issuers (Decree 30/2020/NĐ-CP).

Pure functions of plain values: the slips (forms 01–05) and the results use them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from district_portal.models import Office, User
from district_portal.models.types import utcnow
from district_portal.text import to_local

__all__ = ["Signature", "date_line", "issuer_lines", "long_date", "place_name",
           "proper_place", "signature_for", "spoken_time"]

# The kind of unit before a place's proper name: "Xã Hòa An" is written "Hòa An" on the date
# line; a numbered unit keeps it ("Phường 12").
UNIT_WORDS = ("Thị trấn", "Thành phố", "Đặc khu", "Phường", "Tỉnh", "Xã")
# "UBND phường Hòa Bình" is headed "ỦY BAN NHÂN DÂN / PHƯỜNG HÒA BÌNH".
AUTHORITY_ABBREVIATIONS = {"UBND": "ỦY BAN NHÂN DÂN", "HĐND": "HỘI ĐỒNG NHÂN DÂN"}


def proper_place(unit_name: str) -> str:
    """'Xã Hòa An' → 'Hòa An'; 'Phường 12' and names without a unit word stay as they are."""
    name = " ".join((unit_name or "").split())
    for word in UNIT_WORDS:
        if name.lower().startswith(word.lower() + " "):
            rest = name[len(word) + 1:]
            return name if rest.isdigit() else rest
    return name


def place_name(office: Office | None) -> str:
    """The place on the date line: the proper name of the office's unit, taken from the first
    part of its address ('Phường Hòa Bình, tỉnh Phú Thọ' → 'Hòa Bình')."""
    if office is None:
        return ""
    unit = office.address.split(",")[0] if office.address else office.name
    for short in AUTHORITY_ABBREVIATIONS:
        unit = unit.removeprefix(short + " ")
    return proper_place(unit)


def long_date(dt: datetime | None) -> str:
    """'ngày 05 tháng 01 năm 2026', 'ngày 15 tháng 11 năm 2026' in local time: a leading zero
    only for days 1–9 and for months 1 and 2 (Decree 30/2020, appendix I)."""
    value = to_local(dt or utcnow())
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def date_line(office: Office | None, dt: datetime | None) -> str:
    """'Hòa An, ngày 05 tháng 01 năm 2026'; without a place, 'Ngày 05 tháng 01 năm 2026'."""
    place = place_name(office)
    return f"{place}, {long_date(dt)}" if place else long_date(dt).capitalize()


def spoken_time(dt: datetime | None) -> str:
    """'14 giờ 05 phút, ngày 05 tháng 01 năm 2026' in local time, as form 01 writes it."""
    if dt is None:
        return ""
    value = to_local(dt)
    return f"{value.hour} giờ {value.minute:02d} phút, {long_date(dt)}"


def issuer_lines(office: Office | None) -> tuple[str, ...]:
    """The issuing authority at the top left, upper case: 'UBND phường Hòa Bình' →
    ('ỦY BAN NHÂN DÂN', 'PHƯỜNG HÒA BÌNH'); any other name is one line."""
    if office is None:
        return ()
    name = " ".join(office.name.split())
    for short, full in AUTHORITY_ABBREVIATIONS.items():
        if name.startswith(short + " "):
            return (full, name[len(short) + 1:].upper())
    return (name.upper(),)


@dataclass(frozen=True, kw_only=True)
class Signature:
    """The signature block: authority lines ('TM. ỦY BAN NHÂN DÂN', 'KT. CHỦ TỊCH'), the
    signer's position ('PHÓ CHỦ TỊCH') and name."""

    lines: tuple[str, ...]
    name: str


def signature_for(definition: dict, leader: User | None) -> Signature:
    """The catalogue's lines (`signature`: authority, delegation, title) with the issuing
    leader's own position when known; a head signing in person drops 'KT. <head>'."""
    spec = definition.get("signature") or {}
    title = (leader.job_title if leader is not None and leader.job_title else "") \
        or spec.get("title") or ""
    title = title.upper()
    delegation = spec.get("delegation") or ""
    if delegation and title and delegation.upper().removeprefix("KT. ").strip() == title:
        delegation = ""
    lines = tuple(line for line in (spec.get("authority"), delegation, title) if line)
    return Signature(lines=lines, name=leader.full_name if leader is not None else "")
