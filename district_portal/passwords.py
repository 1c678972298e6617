"""Password rules shared by the account forms and the account services (pure Python)."""

from __future__ import annotations

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
