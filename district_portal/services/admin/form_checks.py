"""The form builder's checks: one item of a procedure's draft (a field, a required document,
a handbook step, a fee line, the fee and the result) read from the text an admin typed, with a
Vietnamese message per input for every value that would break the resident's form.

The catalogue importer (services/catalog/importer.py) stays the final gate when the draft is
saved as a version; these checks say the same things earlier, beside the input, in words an
admin reads. Plain values in, plain dicts out: no Flask request here."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from district_portal.services.errors import ServiceError

FIELD_TYPES = ("text", "textarea", "number", "date", "select", "radio", "checkbox", "email",
               "phone", "id_number", "tax_code", "commune")
CHOICE_TYPES = ("select", "radio")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TEXT_MAX = 500
MONEY_MAX = 10**12
NUMBER_MAX = 10**15  # beyond any bound a form needs, within a double's exact integers
TRUE_WORDS = ("1", "y", "yes", "true", "có", "co", "x", "đúng")


class BuilderError(ServiceError):
    """Refused input: `errors` maps an input's name to its Vietnamese message."""

    def __init__(self, errors: dict[str, object]):
        super().__init__(_l("Please correct the values marked below."))
        self.errors = errors


def text(values: Mapping[str, str], name: str) -> str:
    return (values.get(name) or "").strip()


def flag(values: Mapping[str, str], name: str) -> bool:
    return text(values, name).lower() in TRUE_WORDS


def key_error(key: str, taken: set[str]):
    """Why `key` cannot name a field or document of a procedure whose other keys are `taken`."""
    if not key:
        return _l("Enter a key.")
    if not KEY_RE.match(key):
        return _l("A key has 1 to 40 lower-case letters without accents, digits or _, and "
                  "starts with a letter (for example ho_ten).")
    if key.startswith("applicant_"):
        return _l("A key cannot start with applicant_: those are the applicant's own answers.")
    if key == "csrf_token":
        return _l("This key is reserved by the form.")
    if key in taken:
        return _l("The key %(key)s is already used in this procedure.", key=key)
    if key.endswith("_label") and key[: -len("_label")] in taken:
        return _l("The key %(key)s would collide with the label of %(other)s.", key=key,
                  other=key[: -len("_label")])
    if f"{key}_label" in taken:
        return _l("The key %(key)s would collide with the key %(other)s.", key=key,
                  other=f"{key}_label")
    return None


def label_error(value: str, what):
    if not value:
        return _l("Enter %(what)s.", what=what)
    if len(value) > TEXT_MAX:
        return _l("At most %(n)d characters.", n=TEXT_MAX)
    return None


def number(values, name, errors, *, integer=False, low=None, high=None):
    """The number typed in `name` (None when empty); a message in `errors` if it is not one."""
    raw = text(values, name).replace(" ", "").replace(".", "" if integer else ".")
    if not raw:
        return None
    try:
        value = float(raw.replace(",", "."))
        if not math.isfinite(value) or abs(value) > NUMBER_MAX:
            raise ValueError(raw)
    except ValueError:
        errors[name] = _l("Enter a whole number.") if integer else _l("Enter a number.")
        return None
    if integer and not value.is_integer():
        errors[name] = _l("Enter a whole number.")
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        errors[name] = _l("Enter a number from %(low)s to %(high)s.", low=low,
                          high=high if high is not None else "…")
        return None
    return int(value) if value.is_integer() else value


def parse_options(raw: str, errors: dict) -> list[dict]:
    """One option a line, "value | label" (or just the label, also used as the value)."""
    options = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        value, _bar, label = line.partition("|")
        value, label = value.strip(), (label.strip() if _bar else value.strip())
        if not value or not label:
            errors["options"] = _l("Each line needs a value and a label: value | label.")
        elif len(value) > 100 or len(label) > TEXT_MAX:
            errors["options"] = _l("An option value has at most 100 characters, its label "
                                   "at most 500.")
        options.append({"value": value, "label": label})
    values = [o["value"] for o in options]
    if len(values) != len(set(values)):
        errors["options"] = _l("Two options have the same value.")
    return options


def parse_field(values: Mapping[str, str], fields: list[dict], taken: set[str],
                old_key: str | None = None, data: dict | None = None) -> dict:
    """A field from the editor's inputs; BuilderError with every problem. `fields` and
    `taken` (keys of fields and documents) leave out the field being edited."""
    errors: dict[str, object] = {}
    key = text(values, "key")
    if (err := key_error(key, taken)) is not None:
        errors["key"] = err
    elif old_key and key != old_key and (users := users_of(fields, old_key, data)):
        errors["key"] = _l("The key cannot change: %(users)s uses it.", users=users)
    label = text(values, "label")
    if (err := label_error(label, _l("the question"))) is not None:
        errors["label"] = err
    kind = text(values, "type")
    if kind not in FIELD_TYPES:
        errors["type"] = _l("Choose a type of answer.")
    item: dict = {"key": key, "label": label, "type": kind}
    if flag(values, "required"):
        item["required"] = True
    if help_text := text(values, "help"):
        item["help"] = help_text
        if len(help_text) > TEXT_MAX:
            errors["help"] = _l("At most %(n)d characters.", n=TEXT_MAX)
    if kind in CHOICE_TYPES:
        item["options"] = parse_options(values.get("options") or "", errors)
        if not item["options"] and "options" not in errors:
            errors["options"] = _l("A select or radio field needs at least one option.")
    _bounds(values, item, errors)
    _condition(values, item, fields, errors, old_key)
    if errors:
        raise BuilderError(errors)
    return item


def _bounds(values, item: dict, errors: dict) -> None:
    for name, integer, low in (("min_length", True, 0), ("max_length", True, 1),
                               ("min", False, None), ("max", False, None)):
        value = number(values, name, errors, integer=integer, low=low)
        if value is not None:
            item[name] = value
    if item.get("min_length", 0) > item.get("max_length", float("inf")):
        errors["max_length"] = _l("The maximum length is smaller than the minimum length.")
    if "min" in item and "max" in item and item["min"] > item["max"]:
        errors["max"] = _l("The maximum is smaller than the minimum.")
    pattern = text(values, "pattern")
    if pattern:
        item["pattern"] = pattern
        try:
            re.compile(pattern)
        except re.error as exc:
            errors["pattern"] = _l("Not a valid pattern (regular expression): %(why)s at "
                                   "character %(pos)s.", why=exc.msg, pos=(exc.pos or 0) + 1)
        if len(pattern) > 200:
            errors["pattern"] = _l("At most %(n)d characters.", n=200)


def _condition(values, item: dict, fields: list[dict], errors: dict, old_key) -> None:
    """`fields`: the other fields of the procedure (not the one being edited)."""
    target_key = text(values, "visible_field")
    if not target_key:
        return
    target = next((f for f in fields if f["key"] == target_key), None)
    if target_key in (item["key"], old_key):
        errors["visible_field"] = _l("A question cannot depend on itself.")
        return
    if target is None:
        errors["visible_field"] = _l("There is no question with the key %(key)s.",
                                     key=target_key)
        return
    raw = text(values, "visible_equals")
    if target["type"] == "checkbox":
        equals: object = raw.lower() in TRUE_WORDS
    elif target["type"] == "number":
        equals = number(values, "visible_equals", errors)
    else:
        equals = raw
    if target["type"] in CHOICE_TYPES and raw not in {o["value"] for o in target["options"]}:
        errors["visible_equals"] = _l("Choose one of the values of %(key)s: %(values)s.",
                                      key=target_key, values=", ".join(
                                          o["value"] for o in target["options"]))
    elif equals is None or equals == "":
        errors.setdefault("visible_equals", _l("Enter the answer that shows this question."))
    item["visible_if"] = {"field": target_key, "equals": equals}


def users_of(fields: list[dict], key: str, data: dict | None = None) -> str:
    """What else in the entry names `key` ("" when nothing does)."""
    names = [f"“{f['label']}”" for f in fields
             if (f.get("visible_if") or {}).get("field") == key and f["key"] != key]
    if data is not None:
        if key in (data.get("result") or {}).get("verify_fields", []):
            names.append(str(_l("the /verify page of the result")))
        fee = data.get("fee")
        if isinstance(fee, dict):
            conditions = list(fee.get("exempt_if", []))
            for line in fee.get("lines", []):
                conditions += line.get("exempt_if", [])
                if key in (line.get("per"), line.get("times")):
                    names.append(str(_l("the fee line “%(label)s”", label=line["label"])))
            if any(c.get("field") == key for c in conditions):
                names.append(str(_l("a fee exemption")))
    return ", ".join(names)


def parse_document(values: Mapping[str, str], taken: set[str]) -> dict:
    errors: dict[str, object] = {}
    key = text(values, "key")
    if (err := key_error(key, taken)) is not None:
        errors["key"] = err
    name = text(values, "name")
    if (err := label_error(name, _l("the name of the document"))) is not None:
        errors["name"] = err
    item = {"key": key, "name": name, "mandatory": flag(values, "mandatory")}
    for count in ("originals", "copies"):
        value = number(values, count, errors, integer=True, low=0, high=100)
        if value:
            item[count] = value
    if errors:
        raise BuilderError(errors)
    return item


def parse_step(values: Mapping[str, str], online_level: str):
    errors: dict[str, object] = {}
    words = text(values, "text")
    if (err := label_error(words, _l("what the resident does"))) is not None:
        errors["text"] = err
    in_person = flag(values, "in_person")
    if in_person and online_level == "full":
        errors["in_person"] = _l("A fully online procedure cannot have a step at the office.")
    if errors:
        raise BuilderError(errors)
    return {"text": words, "in_person": True} if in_person else words


def parse_fee_line(values: Mapping[str, str], fields: list[dict]) -> dict:
    errors: dict[str, object] = {}
    label = text(values, "label")
    if (err := label_error(label, _l("the name of the fee line"))) is not None:
        errors["label"] = err
    item: dict = {"label": label}
    amount = number(values, "amount", errors, integer=True, low=0, high=MONEY_MAX)
    tiers = parse_tiers(values.get("tiers") or "", errors)
    if amount is not None and tiers:
        errors["tiers"] = _l("Give either one amount or tiers, not both.")
    elif amount is not None:
        item["amount"] = amount
    elif tiers:
        item["tiers"] = tiers
    elif "amount" not in errors and "tiers" not in errors:
        errors["amount"] = _l("Enter the amount in đồng.")
    numbers = {f["key"] for f in fields if f["type"] == "number"}
    for name in ("per", "times"):
        key = text(values, name)
        if key and key not in numbers:
            errors[name] = _l("Choose a number question of this form.")
        elif key:
            item[name] = key
    if tiers and "per" not in item and "per" not in errors:
        errors["per"] = _l("Tiers count a number question: choose it here.")
    cap = number(values, "cap", errors, integer=True, low=0, high=MONEY_MAX)
    if cap is not None:
        item["cap"] = cap
    if exempt := parse_conditions(values.get("exempt_if") or "", fields, errors):
        item["exempt_if"] = exempt
    if errors:
        raise BuilderError(errors)
    return item


def parse_tiers(raw: str, errors: dict) -> list[dict]:
    """One tier a line, "up to | amount | label"; the last one has no "up to"."""
    tiers, previous = [], 0
    lines = [line for line in raw.splitlines() if line.strip()]
    for n, line in enumerate(lines, 1):
        parts = [p.strip() for p in line.split("|")] + ["", ""]
        row = {"u": parts[0], "a": parts[1]}
        bad: dict = {}
        up_to = number(row, "u", bad, integer=True, low=1, high=MONEY_MAX)
        amount = number(row, "a", bad, integer=True, low=0, high=MONEY_MAX)
        if bad or amount is None:
            errors["tiers"] = _l("Line %(n)d: write up to | amount in đồng | label.", n=n)
            return []
        if (up_to is None) != (n == len(lines)):
            errors["tiers"] = _l("Only the last tier has no “up to”, and it must have none.")
            return []
        if up_to is not None and up_to <= previous:
            errors["tiers"] = _l("Line %(n)d: the tiers must go up.", n=n)
            return []
        tier = {"amount": amount} if up_to is None else {"up_to": up_to, "amount": amount}
        previous = up_to or previous
        if parts[2]:
            tier["label"] = parts[2][:TEXT_MAX]
        tiers.append(tier)
    return tiers


def parse_conditions(raw: str, fields: list[dict], errors: dict,
                     name: str = "exempt_if") -> list[dict]:
    """Exemptions, one a line: "key = value, value | reason shown"; a tick box's value is
    có or không."""
    by_key = {f["key"]: f for f in fields}
    conditions = []
    for n, line in enumerate((x for x in raw.splitlines() if x.strip()), 1):
        test, _bar, label = line.partition("|")
        key, _eq, wanted = (p.strip() for p in test.partition("="))
        spec = by_key.get(key)
        if spec is None or spec["type"] not in (*CHOICE_TYPES, "checkbox") or not wanted:
            errors[name] = _l("Line %(n)d: write key = value | reason, with the key of a "
                              "list, radio or tick-box question.", n=n)
            return []
        values: list = [v.strip() for v in wanted.split(",") if v.strip()]
        if spec["type"] == "checkbox":
            values = [v.lower() in TRUE_WORDS for v in values]
        elif any(v not in {o["value"] for o in spec.get("options", [])} for v in values):
            errors[name] = _l("Line %(n)d: choose among the values of %(key)s: %(values)s.",
                              n=n, key=key, values=", ".join(
                                  o["value"] for o in spec.get("options", [])))
            return []
        cond: dict = {"field": key}
        cond.update({"equals": values[0]} if len(values) == 1 else {"in": values})
        if label.strip():
            cond["label"] = label.strip()[:TEXT_MAX]
        conditions.append(cond)
    return conditions


def conditions_text(conditions: list[dict]) -> str:
    """Conditions as the editor's textarea shows them."""
    lines = []
    for c in conditions or []:
        values = c["in"] if "in" in c else [c.get("equals")]
        shown = ", ".join(("có" if v else "không") if isinstance(v, bool) else str(v)
                          for v in values)
        lines.append(f"{c['field']} = {shown}" + (f" | {c['label']}" if c.get("label") else ""))
    return "\n".join(lines)


def tiers_text(tiers: list[dict]) -> str:
    return "\n".join(" | ".join([str(t.get("up_to", "")), str(t["amount"]),
                                  t.get("label", "")]).rstrip(" |") for t in tiers or [])
