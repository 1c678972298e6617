"""The e-form, a domain module of its own: field specs built from a procedure version, a
registry of small cleaners per field type (validators.py) with one wording per message
(messages.py), display rows, and the DossierForm that holds one page's raw text.

Services take these plain objects; forms/ and the views read requests into them."""

from district_portal.eform.display import display_value, raw_answers, split_applicant, to_raw
from district_portal.eform.form import DossierForm
from district_portal.eform.places import commune_label, communes, provinces
from district_portal.eform.specs import (
    CHOICE_TYPES,
    FieldSpec,
    applicant_specs,
    form_specs,
    procedure_specs,
)
from district_portal.eform.validators import FIELD_TYPES, FieldError, clean_value, parse_date

__all__ = [
    "CHOICE_TYPES", "FIELD_TYPES", "DossierForm", "FieldError", "FieldSpec",
    "applicant_specs", "clean_value", "commune_label", "communes", "display_value",
    "form_specs", "parse_date", "procedure_specs", "provinces", "raw_answers",
    "split_applicant", "to_raw",
]
