"""Phone numbers: parsed with phonenumbers (region VN), stored in E.164."""

from __future__ import annotations

import phonenumbers


class PhoneError(ValueError):
    pass


def parse_phone(raw: str, mobile_only: bool = False) -> str:
    """'0912 345 678' → '+84912345678'; raises PhoneError with a Vietnamese message."""
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        raise PhoneError("Số điện thoại không đúng. Nhập ví dụ 0912 345 678.") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("Số điện thoại không đúng. Nhập ví dụ 0912 345 678.")
    if mobile_only and phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    ):
        raise PhoneError("Nhập số điện thoại di động để nhận tin nhắn.")
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
