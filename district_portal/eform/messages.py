"""What the e-form tells a user, one wording for each message. Each says what to do, in the
UI language (Vietnamese by default); the tracking and account forms use PHONE and MOBILE too."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from district_portal.eform.specs import CHOICE_TYPES, FieldSpec

PHONE = _l("Enter a Vietnamese phone number like 0912 345 678.")
MOBILE = _l("Enter a Vietnamese mobile number, e.g. 0912 345 678.")  # where an SMS must reach it
EMAIL = _l("Enter an email address like name@example.com.")
ID_NUMBER = _l("A personal ID number has exactly 12 digits.")
TAX_CODE = _l("A tax code has 10 digits, or 13 with the branch, like 0123456789-001.")
COMMUNE_OF_PROVINCE = _l("Choose a commune of the chosen province.")
UNKNOWN_TYPE = _l("Unknown field type.")


def required(spec: FieldSpec) -> str:
    """'Nhập họ và tên', 'Chọn loại giấy', 'Đánh dấu “…”', or the spec's own wording."""
    if spec.required_message:
        return spec.required_message
    if spec.type in CHOICE_TYPES or spec.type == "commune":
        return gettext("Choose %(label)s", label=_lower_first(spec.label))
    if spec.type == "checkbox":
        return gettext("Tick “%(label)s”", label=spec.label)
    return gettext("Enter %(label)s", label=_lower_first(spec.label))


def too_long(spec: FieldSpec, limit: int, length: int) -> str:
    return gettext("%(label)s must be at most %(n)d characters (now %(m)d).",
                   label=spec.label, n=limit, m=length)


def cut(spec: FieldSpec, limit: int, length: int) -> str:
    """An answer longer than its field: only its first `limit` characters were kept."""
    return gettext("%(label)s can hold at most %(n)d characters; you typed %(m)d. The first "
                   "%(n)d were kept: check the end of your answer.",
                   label=spec.label, n=limit, m=length)


def too_short(spec: FieldSpec, limit: int) -> str:
    return gettext("%(label)s must be at least %(n)d characters.", label=spec.label, n=limit)


def one_line(spec: FieldSpec) -> str:
    return gettext("%(label)s must be on one line.", label=spec.label)


def bad_format(spec: FieldSpec) -> str:
    return gettext("%(label)s is not in the expected format.", label=spec.label)


def not_a_number(spec: FieldSpec) -> str:
    return gettext("%(label)s must be a number, e.g. 12.", label=spec.label)


def below_min(spec: FieldSpec) -> str:
    return gettext("%(label)s must be at least %(n)s.", label=spec.label, n=_num(spec.min))


def above_max(spec: FieldSpec) -> str:
    return gettext("%(label)s must be at most %(n)s.", label=spec.label, n=_num(spec.max))


def not_a_date(spec: FieldSpec) -> str:
    return gettext("%(label)s must be a real date, written like 25/11/2026.", label=spec.label)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
