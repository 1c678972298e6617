"""Password rules shared by the account forms and the account services (pure Python)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources

MIN_PASSWORD_LENGTH = 8


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, in lower case."""
    text = resources.files("district_portal").joinpath("data/common-passwords.txt").read_text(
        "utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def is_common_password(password: str) -> bool:
    return password.lower() in common_passwords()


def _letters_and_digits(value: str) -> str:
    """Lower case, no diacritics (đ → d), letters and digits only: 'Nguyễn Văn-An' →
    'nguyenvanan', so spacing, case and accents do not hide a name in a password."""
    value = unicodedata.normalize("NFD", value.lower().replace("đ", "d"))
    return "".join(c for c in value if c.isascii() and c.isalnum())


def personal_words(*, email: str | None = None, phone: str | None = None,
                   name: str | None = None) -> set[str]:
    """What a password must not contain: the email (whole, and its name part from 4
    characters), the phone's last 9 digits, the full name and each of its words from 4
    letters, all as `_letters_and_digits` sees them."""
    words = set()
    if email:
        local, _, _domain = email.partition("@")
        words |= {_letters_and_digits(email), _letters_and_digits(local)}
    if phone:
        digits = "".join(c for c in phone if c.isdigit())
        words.add(digits[-9:])
    if name:
        words.add(_letters_and_digits(name))
        words |= {_letters_and_digits(part) for part in name.split()}
    return {w for w in words if len(w) >= 4}


def contains_personal_data(password: str, **account) -> bool:
    """Whether the password contains the account's email, phone or name (see personal_words)."""
    folded = _letters_and_digits(password)
    return any(word in folded for word in personal_words(**account))
