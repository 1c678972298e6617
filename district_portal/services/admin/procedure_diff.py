"""Reading procedure versions as an admin: a field-by-field diff between two versions, and the
catalogue validator's English errors ('$.procedures[0].fields[1].key: ...') in Vietnamese.

Both work on plain catalogue entries (dicts), so they are tested without a request."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from district_portal.models import Procedure, ProcedureVersion

SEPARATOR = " › "
# Lists whose items are matched by their `key`, so a field moved or inserted is not shown as
# every later field changed.
KEYED = ("key",)
TOP_LABELS = {
    "code": _l("Code"), "name": _l("Name"), "field": _l("Field"), "level": _l("Deciding tier"),
    "online_level": _l("Online level"), "processing_time": _l("Processing time"),
    "fee": _l("Fee"), "fee_note": _l("Note on the fee"), "applicants": _l("Who may file it"),
    "offices": _l("Receiving offices"), "steps": _l("Handbook steps"),
    "documents": _l("Documents"), "fields": _l("Form fields"), "result": _l("Result"),
    "legal_basis": _l("Legal basis"),
}


# Values shown by their name rather than their code, by the key that holds them.
VALUE_LABELS = {
    "online_level": {"full": _l("Fully online"), "partial": _l("Partly online"),
                     "none": _l("At the office only")},
    "level": {"commune": _l("Commune"), "province": _l("Province")},
    "unit": {"working_days": _l("working days"), "working_hours": _l("working hours"),
             "same_day": _l("the same day")},
    "applicants": {"person": _l("A person"), "organisation": _l("An organisation")},
}


@dataclass(frozen=True)
class Change:
    kind: str  # added, removed, changed
    path: tuple[str, ...]
    old: object = None
    new: object = None

    @property
    def where(self) -> str:
        return SEPARATOR.join(self.path)

    @property
    def section(self) -> str:
        return str(TOP_LABELS.get(self.path[0], self.path[0])) if self.path else ""

    @property
    def old_text(self) -> str:
        return show(self.old, self._labels())

    @property
    def new_text(self) -> str:
        return show(self.new, self._labels())

    def _labels(self) -> dict:
        names = [p for p in self.path if not p.isdigit()]
        return VALUE_LABELS.get(names[-1], {}) if names else {}


def show(value, labels: dict | None = None) -> str:
    """A value as one short line of text: strings as they are (or their name in `labels`),
    lists of strings joined with semicolons, the rest as JSON."""
    labels = labels or {}
    if value is None:
        return ""
    if isinstance(value, str):
        return str(labels.get(value, value))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "; ".join(str(labels.get(v, v)) for v in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff(old: dict, new: dict) -> list[Change]:
    """What changed from `old` to `new`, one Change per key path: dicts key by key, lists of
    keyed items (fields, documents) by their key, other lists by position (1-based)."""
    out: list[Change] = []
    _walk(old, new, (), out)
    return out


def _walk(old, new, path: tuple[str, ...], out: list[Change]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                out.append(Change("removed", (*path, key), old=old[key]))
            elif key not in old:
                out.append(Change("added", (*path, key), new=new[key]))
            else:
                _walk(old[key], new[key], (*path, key), out)
    elif isinstance(old, list) and isinstance(new, list):
        _walk_list(old, new, path, out)
    else:
        out.append(Change("changed", path, old=old, new=new))


def _keyed(items: list) -> dict | None:
    if not all(isinstance(i, dict) and isinstance(i.get("key"), str) for i in items):
        return None
    keys = [i["key"] for i in items]
    return dict(zip(keys, items, strict=True)) if len(set(keys)) == len(keys) else None


def _walk_list(old: list, new: list, path: tuple[str, ...], out: list[Change]) -> None:
    a, b = _keyed(old), _keyed(new)
    if a is not None and b is not None and (a or b):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in b:
                out.append(Change("removed", (*path, key), old=a[key]))
            elif key not in a:
                out.append(Change("added", (*path, key), new=b[key]))
            else:
                _walk(a[key], b[key], (*path, key), out)
        if [k for k in a if k in b] != [k for k in b if k in a]:
            out.append(Change("changed", (*path, str(_l("order"))), old=list(a), new=list(b)))
        return
    for i in range(max(len(old), len(new))):
        where = (*path, str(i + 1))
        if i >= len(new):
            out.append(Change("removed", where, old=old[i]))
        elif i >= len(old):
            out.append(Change("added", where, new=new[i]))
        else:
            _walk(old[i], new[i], where, out)


def version(proc: Procedure, number: int | None) -> ProcedureVersion | None:
    return next((v for v in proc.versions if v.number == number), None)


# --- the validator's errors in Vietnamese ---------------------------------------------------

_PREFIX = re.compile(r"^\$(\.procedures\[\d+\])?\.?")
_RULES: list[tuple[re.Pattern, object]] = [
    (re.compile(r"^'(?P<x>[^']+)' is a required property$"),
     _l("the entry “%(x)s” is required")),
    (re.compile(r"should be non-empty$|is too short$"), _l("must not be empty")),
    (re.compile(r"is too long$"), _l("is too long")),
    (re.compile(r"is not one of \["), _l("is not one of the allowed values")),
    (re.compile(r"does not match '"), _l("is not in the expected form")),
    (re.compile(r"is less than the minimum of (?P<x>\S+)$"), _l("must be at least %(x)s")),
    (re.compile(r"is greater than the maximum of (?P<x>\S+)$"), _l("must be at most %(x)s")),
    (re.compile(r"has non-unique elements$"), _l("has the same value twice")),
    (re.compile(r"is not of type"), _l("has the wrong kind of value")),
    (re.compile(r"is not valid under any of the given schemas$"),
     _l("is not a valid value")),
    (re.compile(r"^Additional properties are not allowed \('(?P<x>[^']+)'"),
     _l("the entry “%(x)s” is not allowed here")),
    (re.compile(r"^unknown office '(?P<x>[^']+)'$"), _l("there is no office %(x)s")),
    (re.compile(r"^duplicate procedure code '(?P<x>[^']+)'$"),
     _l("the code %(x)s is used twice")),
    (re.compile(r"^key '(?P<x>[^']+)' is used more than once in this procedure$"),
     _l("the key “%(x)s” is used more than once in this procedure")),
    (re.compile(r"^key '(?P<x>[^']+)' collides with the applicant section$"),
     _l("the key “%(x)s” collides with the applicant section")),
    (re.compile(r"^key '(?P<x>[^']+)' is reserved by the form$"),
     _l("the key “%(x)s” is reserved by the form")),
    (re.compile(r"^unknown field '(?P<x>[^']+)'$"), _l("there is no field “%(x)s”")),
    (re.compile(r"^a field cannot depend on itself$"), _l("a field cannot depend on itself")),
    (re.compile(r"^a (select|radio) field needs options$"), _l("this field needs options")),
    (re.compile(r"^option values must be unique$"), _l("option values must be unique")),
    (re.compile(r"^min_length is greater than max_length$"),
     _l("the minimum length is greater than the maximum length")),
    (re.compile(r"^min is greater than max$"),
     _l("the minimum is greater than the maximum")),
    (re.compile(r"^not a valid regular expression"), _l("not a valid pattern")),
    (re.compile(r"^the code of .* cannot change$"), _l("the code of a procedure cannot change")),
    (re.compile(r"^change the level with its deciding document$"),
     _l("change the online level on its own page, with the deciding document")),
    (re.compile(r"^a fully online procedure needs this: (?P<x>.*)$"),
     _l("a fully online procedure needs this: %(x)s")),
]


@dataclass(frozen=True)
class ReadableError:
    path: str  # inside the procedure entry, e.g. fields[1].key ("" for the whole entry)
    message: str


def readable(error: str) -> ReadableError:
    """One validator error ('$.procedures[0].fields[1].key: key 'x' is used ...') as its path
    inside the entry and a Vietnamese message; an error no rule knows keeps its English."""
    path, _, message = error.partition(": ")
    path = _PREFIX.sub("", path)
    for pattern, text in _RULES:
        match = pattern.search(message)
        if match:
            return ReadableError(path, str(text % match.groupdict()) if match.groupdict()
                                 else str(text))
    return ReadableError(path, message)


def readable_errors(errors: list[str]) -> list[ReadableError]:
    return [readable(e) for e in errors]
