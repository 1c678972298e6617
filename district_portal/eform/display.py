"""How answers read (check page, dossier pages, slips) and how stored answers go back into
inputs."""

from __future__ import annotations

from flask_babel import gettext

from district_portal.eform.places import commune_label
from district_portal.eform.specs import APPLICANT_PREFIX, CHOICE_TYPES, FieldSpec
from district_portal.eform.validators import parse_date
from district_portal.phones import display_phone
from district_portal.text import format_date


def display_value(spec: FieldSpec, value) -> str:
    """How an answer (raw text or typed value) reads to people."""
    if value is None or value == "":
        return ""
    if spec.type == "checkbox":
        return gettext("Yes") if value in (True, "y") else gettext("No")
    if spec.type in CHOICE_TYPES:
        return spec.option_label(value) or str(value)
    if spec.type == "commune":
        return commune_label(value) or str(value)
    if spec.type == "date":
        parsed = parse_date(str(value))
        return format_date(parsed) if parsed else str(value)
    if spec.type == "phone":
        return display_phone(value) if str(value).startswith("+") else str(value)
    return str(value)


def to_raw(value) -> str:
    """A stored typed answer back to the text an input shows."""
    if value is True:
        return "y"
    if value in (False, None):
        return ""
    return str(value)


def raw_answers(applicant: dict | None, answers: dict | None,
                office_code: str | None = None) -> dict[str, str]:
    """A dossier's stored applicant section and answers (raw text in a draft, typed values
    once filed, applicant keys with or without their prefix) as the inputs' text."""
    raw = {(k if k.startswith(APPLICANT_PREFIX) else APPLICANT_PREFIX + k): to_raw(v)
           for k, v in (applicant or {}).items() if not k.endswith("_label")}
    raw.update({k: to_raw(v) for k, v in (answers or {}).items() if not k.endswith("_label")})
    if office_code and "applicant_office" not in raw:
        raw["applicant_office"] = office_code
    return raw


def split_applicant(values: dict, strip_prefix: bool = False) -> tuple[dict, dict]:
    """(applicant section, procedure answers) of a flat dict of e-form values; with
    strip_prefix, the applicant keys lose their `applicant_` prefix (how a filed dossier
    stores them)."""
    applicant = {(k.removeprefix(APPLICANT_PREFIX) if strip_prefix else k): v
                 for k, v in values.items() if k.startswith(APPLICANT_PREFIX)}
    answers = {k: v for k, v in values.items() if not k.startswith(APPLICANT_PREFIX)}
    return applicant, answers
