"""The registry of field types: one small cleaner per type turns the raw text of a visible
field into its typed answer, or raises FieldError with the one message that says what to do.

A cleaner only sees non-blank input: requiredness is decided once, in clean_value."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from district_portal.eform import messages
from district_portal.eform.places import province_of, ward
from district_portal.eform.specs import FieldSpec
from district_portal.idnumbers import normalise_id_number, normalise_tax_code
from district_portal.phones import PhoneError, parse_phone

DEFAULT_MAX = {"text": 500, "textarea": 4000}
# What a draft keeps of any other answer (a number, a date, a choice…): longer than any valid
# one, so its own message still says what is wrong, yet never megabytes.
RAW_MAX_OTHER = 500


def raw_limit(spec: FieldSpec) -> int:
    """The most characters of a field's raw text a draft keeps (the same limit as on submit
    for text and textarea)."""
    if spec.type in DEFAULT_MAX:
        return spec.max_length or DEFAULT_MAX[spec.type]
    return RAW_MAX_OTHER
_MAX_NUMBER_CHARS = 30
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not \t, \n, \r

Cleaner = Callable[[FieldSpec, str, Mapping[str, str]], object]


class FieldError(ValueError):
    """A visible field's input is refused; str(error) is the message shown next to it."""


@dataclass(frozen=True)
class FieldType:
    clean: Cleaner
    is_blank: Callable[[str], bool]
    blank_value: object = None


FIELD_TYPES: dict[str, FieldType] = {}


def field_type(*names: str, is_blank: Callable[[str], bool] = lambda raw: raw == "",
               blank_value: object = None) -> Callable[[Cleaner], Cleaner]:
    """Register the decorated cleaner for the field types `names`."""
    def register(clean: Cleaner) -> Cleaner:
        for name in names:
            FIELD_TYPES[name] = FieldType(clean, is_blank, blank_value)
        return clean
    return register


def clean_value(spec: FieldSpec, raw: str, all_raw: Mapping[str, str] | None = None):
    """The typed value of one visible field; FieldError with a message otherwise."""
    kind = FIELD_TYPES.get(spec.type)
    if kind is None:
        raise FieldError(str(messages.UNKNOWN_TYPE))
    if kind.is_blank(raw):
        if spec.required:
            raise FieldError(messages.required(spec))
        return kind.blank_value
    return kind.clean(spec, raw, all_raw or {})


@field_type("checkbox", is_blank=lambda raw: raw != "y", blank_value=False)
def _checkbox(spec, raw, all_raw) -> bool:
    return True


@field_type("text", "textarea")
def _text(spec, raw, all_raw) -> str:
    limit = spec.max_length or DEFAULT_MAX[spec.type]
    if len(raw) > limit:
        raise FieldError(messages.too_long(spec, limit, len(raw)))
    if spec.min_length and len(raw) < spec.min_length:
        raise FieldError(messages.too_short(spec, spec.min_length))
    if spec.type == "text" and "\n" in raw:
        raise FieldError(messages.one_line(spec))
    # Control characters (NUL above all, which PostgreSQL refuses) are never typed text.
    if _CONTROL.search(raw):
        raise FieldError(messages.bad_format(spec))
    # re.ASCII: \d must not accept full-width or other non-ASCII digits.
    if spec.pattern and not re.fullmatch(spec.pattern, raw, re.ASCII):
        raise FieldError(messages.bad_format(spec))
    return raw


@field_type("number")
def _number(spec, raw, all_raw) -> int | float:
    text = raw.replace(" ", "").replace(",", ".")
    if len(text) > _MAX_NUMBER_CHARS:
        raise FieldError(messages.not_a_number(spec))
    try:
        number = float(text)
    except ValueError:
        raise FieldError(messages.not_a_number(spec)) from None
    if not math.isfinite(number):
        raise FieldError(messages.not_a_number(spec))
    if spec.min is not None and number < spec.min:
        raise FieldError(messages.below_min(spec))
    if spec.max is not None and number > spec.max:
        raise FieldError(messages.above_max(spec))
    return int(number) if number.is_integer() else number


def parse_date(raw: str) -> date | None:
    """'2026-11-25' (a date input) or '25/11/2026' (typed on an old browser); None if it is
    not a real date between 1900 and 2100."""
    for fmt in _DATE_FORMATS:
        try:
            value = datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
        if 1900 <= value.year <= 2100:
            return value
    return None


@field_type("date")
def _date(spec, raw, all_raw) -> str:
    parsed = parse_date(raw)
    if parsed is None:
        raise FieldError(messages.not_a_date(spec))
    return parsed.isoformat()


@field_type("select", "radio")
def _choice(spec, raw, all_raw) -> str:
    if raw not in {o["value"] for o in spec.options}:
        raise FieldError(messages.required(spec))
    return raw


@field_type("email")
def _email(spec, raw, all_raw) -> str:
    try:
        result = validate_email(
            raw, check_deliverability=False,
            # The demo accounts use the reserved .test domain outside production.
            test_environment=current_app.config.get("EMAIL_ALLOW_TEST_DOMAINS", False))
    except EmailNotValidError:
        raise FieldError(str(messages.EMAIL)) from None
    return result.normalized


@field_type("phone")
def _phone(spec, raw, all_raw) -> str:
    try:
        return parse_phone(raw)
    except PhoneError:
        raise FieldError(str(messages.PHONE)) from None


@field_type("id_number")
def _id_number(spec, raw, all_raw) -> str:
    value = normalise_id_number(raw)  # spaces, dots and dashes between the digits are fine
    if value is None:
        raise FieldError(str(messages.ID_NUMBER))
    return value


@field_type("tax_code")
def _tax_code(spec, raw, all_raw) -> str:
    value = normalise_tax_code(raw)
    if value is None:
        raise FieldError(str(messages.TAX_CODE))
    return value


@field_type("commune")
def _commune(spec, raw, all_raw) -> int:
    province = province_of(all_raw, spec.key)
    found = ward(raw)
    if found is None or province is None:
        raise FieldError(messages.required(spec))
    if found.province_code.value != province:
        raise FieldError(str(messages.COMMUNE_OF_PROVINCE))
    return found.code.value
