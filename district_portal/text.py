"""Text and time helpers, one of each: NFC cleaning, diacritic folding, money, the local time
zone and local time formatting. Pure Python (no Flask): the calendar and the codes use it."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

#: The time zone every office works in (DESIGN.md §1); times are stored in UTC.
LOCAL_TZ_NAME = "Asia/Ho_Chi_Minh"
LOCAL_TZ = ZoneInfo(LOCAL_TZ_NAME)
_SPACES = re.compile(r"\s+")
# Bidirectional controls and other invisible format characters have no place in form input;
# nor has NUL, which PostgreSQL refuses in text (a 500 instead of a page).
_FORMAT_CHARS = re.compile("[\x00\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean(value: str | None) -> str:
    """Drop NUL and invisible direction/format characters, normalise to NFC and trim the ends.
    Spaces and line breaks inside the text are kept as typed (a note may have paragraphs)."""
    if value is None:
        return ""
    # Drop the format characters first: one between a letter and its accent would otherwise
    # block composition and leave the text decomposed.
    value = _FORMAT_CHARS.sub("", value)
    value = unicodedata.normalize("NFC", value)
    return value.strip()


def strip_diacritics(value: str) -> str:
    """'Đăng ký' → 'Dang ky': accents removed, đ/Đ → d/D, case kept."""
    value = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in value if unicodedata.category(c) != "Mn")


def fold(value: str) -> str:
    """Lower-case, strip diacritics (đ → d), collapse spaces: the search key on every engine."""
    value = strip_diacritics(value.lower())
    value = re.sub(r"[^0-9a-z.\-]+", " ", value)
    return _SPACES.sub(" ", value).strip()


def format_money(amount: int | None) -> str:
    """15000 → '15.000 đồng'."""
    return f"{int(amount or 0):,}".replace(",", ".") + " đồng"


def time_zone(tz: str | tzinfo) -> tzinfo:
    """A zone name or a tzinfo → a tzinfo."""
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def to_local(dt: datetime | None, tz: str | tzinfo = LOCAL_TZ) -> datetime | None:
    """The same instant in local time (None stays None); a naive datetime is refused with
    ValueError, since it is not known which zone it means."""
    if dt is None:
        return None
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"datetime must be timezone-aware (UTC), got naive {dt!r}")
    return dt.astimezone(time_zone(tz))


def from_local(naive_local: datetime, tz: str | tzinfo = LOCAL_TZ) -> datetime:
    """A naive wall-clock datetime in `tz` (what staff type) → aware UTC. An aware datetime
    is refused with ValueError (reinterpret or convert would be ambiguous)."""
    if not isinstance(naive_local, datetime):
        raise TypeError(f"expected a datetime, got {type(naive_local).__name__}")
    if naive_local.tzinfo is not None:
        raise ValueError(f"from_local expects a naive local datetime, got {naive_local!r}")
    return naive_local.replace(tzinfo=time_zone(tz)).astimezone(UTC)


def format_datetime(dt: datetime | None) -> str:
    """UTC datetime → 'dd/mm/yyyy HH:MM' in Asia/Ho_Chi_Minh."""
    if dt is None:
        return ""
    return to_local(dt).strftime("%d/%m/%Y %H:%M")


def format_date(value: date | datetime | str | None) -> str:
    """A date, a datetime (shown in local time) or an ISO date string → 'dd/mm/yyyy'."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")
