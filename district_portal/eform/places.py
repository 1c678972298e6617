"""Provinces and communes from the official list (vietnam-provinces), as the commune field
uses them. A commune field posts two inputs: `<key>.province` and `<key>` (the ward code)."""

from __future__ import annotations

from collections.abc import Mapping

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from district_portal.collation import sorted_vi

_MAX_CODE_DIGITS = 9  # official codes are at most 5 digits; int() of 5,000 digits raises


def official_code(value: object) -> int | None:
    """'4795' → 4795; None for anything else (full-width or superscript digits, signs,
    absurd lengths): such codes are not official."""
    text = str(value) if value is not None else ""
    if text.isascii() and text.isdigit() and len(text) <= _MAX_CODE_DIGITS:
        return int(text)
    return None


def provinces() -> list[Province]:
    """Every province and centrally-run city, in Vietnamese alphabetical order."""
    return sorted_vi(Province.iter_all(), key=lambda p: p.name)


def communes(province_code: int) -> list[Ward]:
    """The province's communes, wards and special zones in Vietnamese alphabetical order of
    their names; ValueError for an unknown province."""
    return sorted_vi(Ward.iter_by_province(ProvinceCode(province_code)), key=lambda w: w.name)


def ward(code: object) -> Ward | None:
    number = official_code(code)
    if number is None:
        return None
    try:
        return Ward.from_code(WardCode(number))
    except ValueError:
        return None


def commune_label(code: object) -> str:
    """'4795' → 'Phường Hòa Bình, Phú Thọ'; '' if the code is not a commune."""
    found = ward(code)
    if found is None:
        return ""
    return f"{found.name}, {Province.from_code(found.province_code).name}"


def province_of(raw: Mapping[str, str], key: str) -> int | None:
    """The province chosen for commune field `key`, or the one of its commune when only the
    commune is known (a stored answer)."""
    value = raw.get(f"{key}.province") or ""
    if not value:
        found = ward(raw.get(key, ""))
        return found.province_code.value if found is not None else None
    return official_code(value)


def chosen(raw: Mapping[str, str], key: str) -> bool:
    """Whether anything was chosen for commune field `key` (a province or a commune)."""
    return bool(raw.get(f"{key}.province") or raw.get(key))


def office_province(office) -> int | None:
    """The official code of the province an office belongs to: its own for the province's
    committee, its commune's province for a commune, its parent's for a centre or a
    department; None when the office names no official unit."""
    seen = 0
    while office is not None and seen < 10:  # the office tree is shallow; never loop forever
        code, kind = office.admin_unit_code, str(office.kind)
        if code is not None and kind == "province":
            return code
        if code is not None and kind == "commune":
            found = ward(code)
            return found.province_code.value if found is not None else None
        office, seen = office.parent, seen + 1
    return None


def communes_of(raw: Mapping[str, str], key: str, default: int | None = None) -> list[Ward]:
    code = province_of(raw, key) or (default if not chosen(raw, key) else None)
    if code is None:
        return []
    try:
        return communes(code)
    except ValueError:
        return []
