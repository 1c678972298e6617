"""Text helpers: NFC normalisation, diacritics folding for search, Vietnamese formatting."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
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


def fold(value: str) -> str:
    """Lower-case, strip diacritics (đ → d), collapse spaces: the search key on every engine."""
    value = unicodedata.normalize("NFD", value.lower())
    value = "".join(c for c in value if unicodedata.category(c) != "Mn")
    value = value.replace("đ", "d")
    value = re.sub(r"[^0-9a-z.\-]+", " ", value)
    return _SPACES.sub(" ", value).strip()


def format_money(amount: int | None) -> str:
    """15000 → '15.000 đồng'."""
    return f"{int(amount or 0):,}".replace(",", ".") + " đồng"


def local(dt: datetime | None) -> datetime | None:
    return dt.astimezone(LOCAL_TZ) if dt is not None else None


def format_datetime(dt: datetime | None) -> str:
    """UTC datetime → 'dd/mm/yyyy HH:MM' in Asia/Ho_Chi_Minh."""
    if dt is None:
        return ""
    return dt.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


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
        value = value.astimezone(LOCAL_TZ).date()
    return value.strftime("%d/%m/%Y")
