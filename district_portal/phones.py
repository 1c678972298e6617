"""Phone numbers: parsed with phonenumbers (region VN), stored in E.164. Pure Python: the
e-form, the account forms and the services all use it. What a user is told when a number is
refused is chosen where it is shown (eform.messages, forms/account.py)."""

from __future__ import annotations

import phonenumbers


class PhoneError(ValueError):
    """Not a phone number (or, with mobile_only, not a mobile number); the text is for logs
    and the CLI, never shown on a page."""


def parse_phone(raw: str, mobile_only: bool = False) -> str:
    """'0912 345 678' → '+84912345678'; raises PhoneError."""
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        raise PhoneError(f"not a phone number: {raw!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(f"not a phone number: {raw!r}")
    if mobile_only and phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    ):
        raise PhoneError(f"not a mobile number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """'+84912345678' → '0912 345 678'."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "VN")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
