"""Vietnamese alphabetical order for every list a person picks from (provinces, communes,
offices): a, ă, â, b, c, d, đ, e, ê, …, o, ô, ơ, …, u, ư, … with tones after the letters, as
ICU's Vietnamese collation (CLDR) defines it. "Cà Mau" comes before "Cao Bằng" and "Âu Cơ"
among the first names; a code-point sort would put every accented capital after "Z".
Pure Python on PyICU (no Flask)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

import icu

T = TypeVar("T")
_local = threading.local()  # an ICU collator is not to be shared between threads


def _collator() -> icu.Collator:
    collator = getattr(_local, "collator", None)
    if collator is None:
        collator = icu.Collator.createInstance(icu.Locale("vi_VN"))
        _local.collator = collator
    return collator


def sort_key(text: str | None) -> bytes:
    """The key that orders `text` in Vietnamese alphabetical order (bytes, comparable)."""
    return _collator().getSortKey(text or "")


def sorted_vi(items: Iterable[T], key: Callable[[T], str] = str) -> list[T]:
    """`items` in Vietnamese alphabetical order of `key(item)` (their name, usually)."""
    return sorted(items, key=lambda item: sort_key(key(item)))


def person_sort_key(full_name: str | None) -> tuple[bytes, bytes]:
    """Vietnamese lists of people go by the given name, the last word ("Nguyễn Văn An"
    before "Trần Thị Bình"), then by the whole name."""
    words = (full_name or "").split()
    return sort_key(words[-1] if words else ""), sort_key(full_name)
