"""Offices from the official list of provinces and communes (vietnam-provinces)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from vietnam_provinces import Province, ProvinceCode, VietNamDivisionType

from district_portal.eform.places import communes
from district_portal.models import Office, OfficeKind
from district_portal.models.office import PROVISIONAL_PREFIX


class UnknownProvince(ValueError):
    pass


def province(code: int) -> Province:
    try:
        return Province.from_code(ProvinceCode(code))
    except ValueError:
        raise UnknownProvince(f"no province with official code {code}") from None


def _committee_name(name: str, kind: VietNamDivisionType) -> str:
    """'Cao Bằng' → 'UBND tỉnh Cao Bằng'; 'Thành phố Hà Nội' → 'UBND thành phố Hà Nội'."""
    if kind == VietNamDivisionType.TINH and not name.lower().startswith("tỉnh"):
        name = f"tỉnh {name}"
    return f"UBND {name[0].lower()}{name[1:]}"


def import_units(session: Session, province_code: int) -> tuple[int, int]:
    """Create the province and its communes as offices with provisional agency codes.

    Idempotent: a unit that already has an office (matched by official code and kind) is
    left as it is. Returns (created, already present).
    """
    prov = province(province_code)
    created = kept = 0
    top = session.scalar(select(Office).where(
        Office.admin_unit_code == prov.code.value, Office.kind == OfficeKind.PROVINCE))
    if top is None:
        top = Office(agency_code=f"{PROVISIONAL_PREFIX}{prov.code.value}",
                     name=_committee_name(prov.name, prov.division_type),
                     kind=OfficeKind.PROVINCE, admin_unit_code=prov.code.value,
                     address=prov.name, active=True)
        session.add(top)
        created += 1
    else:
        kept += 1
    existing = set(session.scalars(select(Office.admin_unit_code).where(
        Office.kind == OfficeKind.COMMUNE)))
    for ward in communes(province_code):
        if ward.code.value in existing:
            kept += 1
            continue
        session.add(Office(
            agency_code=f"{PROVISIONAL_PREFIX}{ward.code.value}",
            name=_committee_name(ward.name, ward.division_type),
            kind=OfficeKind.COMMUNE, admin_unit_code=ward.code.value, parent=top,
            address=f"{ward.name}, {prov.name}", active=True,
        ))
        created += 1
    session.flush()
    return created, kept
