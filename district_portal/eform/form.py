"""The e-form of one dossier: raw text by field key, which fields are visible, validation,
typed answers and display rows. Plain Python, no WTForms: the catalogue decides the fields at
run time, the commune field is two inputs and `visible_if` must work without JavaScript.

Input names are the field keys; a commune field's province input is `<key>.province` (a dot
cannot occur in a catalogue key). Drafts keep the raw text exactly as typed (trimmed, NFC);
cleaned() gives the typed answers when the dossier is submitted."""

from __future__ import annotations

from collections.abc import Mapping

from district_portal.eform import messages, places
from district_portal.eform.display import display_value
from district_portal.eform.specs import CHOICE_TYPES, FieldSpec
from district_portal.eform.validators import RAW_MAX_OTHER, FieldError, clean_value, raw_limit
from district_portal.text import clean


class DossierForm:
    """Raw values, visibility, validation and rendering data for one e-form page."""

    def __init__(self, specs: list[FieldSpec], raw: Mapping[str, str] | None = None,
                 action: str = "next"):
        self.specs = specs
        self.by_key = {s.key: s for s in specs}
        self.raw: dict[str, str] = dict(raw or {})
        self.errors: dict[str, str] = {}
        self.action = action  # the button pressed: next, later, refresh or send
        self.cut: dict[str, int] = {}  # field key → length typed, for answers cut to fit
        self.limit_lengths()

    @classmethod
    def from_formdata(cls, specs: list[FieldSpec], formdata: Mapping[str, str]) -> DossierForm:
        """The posted text of every field (trimmed, NFC, invisible characters dropped)."""
        raw = {}
        for spec in specs:
            if spec.type == "checkbox":
                raw[spec.key] = "y" if formdata.get(spec.key) else ""
                continue
            raw[spec.key] = clean(formdata.get(spec.key, ""))
            if spec.type == "commune":
                raw[f"{spec.key}.province"] = clean(formdata.get(f"{spec.key}.province", ""))
        return cls(specs, raw, clean(formdata.get("_action", "")) or "next")

    def limit_lengths(self) -> None:
        """Bound what a draft keeps. An answer a little too long is kept as typed (its field's
        message says how much to shorten); one more than twice its field's limit (a 5 MB paste
        into a 500-character field) is cut to what fits, remembering how long it was so
        validate() says so."""
        for spec in self.specs:
            limit = raw_limit(spec)
            value = self.raw.get(spec.key)
            if isinstance(value, str) and len(value) > 2 * limit:
                self.cut[spec.key] = max(len(value), self.cut.get(spec.key, 0))
                self.raw[spec.key] = value[:limit]
            province = f"{spec.key}.province"
            if spec.type == "commune" and len(self.raw.get(province) or "") > 2 * RAW_MAX_OTHER:
                self.raw[province] = self.raw[province][:RAW_MAX_OTHER]

    def was_cut(self) -> bool:
        """A visible answer was cut to fit (hidden ones are dropped anyway)."""
        return any(spec.key in self.cut for spec in self.visible_specs())

    # --- visibility ---------------------------------------------------------------------

    def is_visible(self, spec: FieldSpec) -> bool:
        cond = spec.visible_if
        if not cond:
            return True
        target = self.by_key.get(cond["field"])
        if target is None or not self.is_visible(target):
            return False
        value = self.raw.get(cond["field"], "")
        expected = cond["equals"]
        if isinstance(expected, bool):
            return (value == "y") == expected
        if isinstance(expected, (int, float)):
            try:
                return float(value.replace(",", ".")) == float(expected)
            except ValueError:
                return False
        return value == expected

    def visible_specs(self) -> list[FieldSpec]:
        return [s for s in self.specs if self.is_visible(s)]

    def visible_raw(self) -> dict[str, str]:
        """What is stored in the draft: hidden fields are dropped (the server ignores them)."""
        out = {}
        for spec in self.visible_specs():
            out[spec.key] = self.raw.get(spec.key, "")
            if spec.type == "commune":
                out[f"{spec.key}.province"] = self.raw.get(f"{spec.key}.province", "")
        return out

    # --- validation ---------------------------------------------------------------------

    def validate(self) -> bool:
        self.errors = {}
        for spec in self.visible_specs():
            try:
                clean_value(spec, self.raw.get(spec.key, ""), self.raw)
            except FieldError as exc:
                self.errors[spec.key] = str(exc)
            if spec.key in self.cut:
                self.errors[spec.key] = messages.cut(spec, raw_limit(spec), self.cut[spec.key])
        return not self.errors

    def cleaned(self) -> dict:
        """Typed answers of the visible fields, plus `<key>_label` for select, radio and
        commune; FieldError if one is invalid (validate first)."""
        out: dict = {}
        for spec in self.visible_specs():
            value = clean_value(spec, self.raw.get(spec.key, ""), self.raw)
            out[spec.key] = value
            if spec.type in CHOICE_TYPES and value is not None:
                out[f"{spec.key}_label"] = spec.option_label(value)
            if spec.type == "commune" and value is not None:
                out[f"{spec.key}_label"] = places.commune_label(value)
        return out

    # --- rendering helpers ----------------------------------------------------------------

    def display_rows(self) -> list[tuple[FieldSpec, str]]:
        """(field, answer as it reads) for every visible field: check page, dossier pages."""
        return [(spec, display_value(spec, self.raw.get(spec.key, "")))
                for spec in self.visible_specs()]

    def province_of(self, spec: FieldSpec) -> int | None:
        """The chosen province, or before any choice the receiving office's."""
        if not places.chosen(self.raw, spec.key):
            return spec.default_province
        return places.province_of(self.raw, spec.key)

    def communes_of(self, spec: FieldSpec):
        return places.communes_of(self.raw, spec.key, spec.default_province)
