"""The procedure catalogue file: validate, import and export it (all or nothing)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from district_portal.models import (
    Office,
    OfficeKind,
    Procedure,
    ProcedureLevelChange,
    ProcedureVersion,
)
from district_portal.models.types import utcnow
from district_portal.services.catalog.fees import rule_errors
from district_portal.services.catalog.readiness import readiness
from district_portal.services.errors import ServiceError
from district_portal.text import fold

FORMAT = "district-portal-catalog/2"  # what export writes
FORMAT_1 = "district-portal-catalog/1"
SCHEMAS = {FORMAT: "catalog.schema.json", FORMAT_1: "catalog-1.schema.json"}
RESERVED_KEYS = {"csrf_token"}
APPLICANT_PREFIX = "applicant_"
OFFICE_KEYS = ("agency_code", "name", "kind", "admin_unit_code", "parent", "address", "phone",
               "hours", "active", "successor")


class CatalogError(ServiceError):
    """An invalid catalogue file: `errors` lists every problem as 'path: message'."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} error(s) in the catalogue file")
        self.errors = errors


@dataclass
class ImportReport:
    offices_created: int = 0
    offices_updated: int = 0
    procedures_created: int = 0
    procedures_new_version: int = 0
    procedures_unchanged: int = 0
    level_changes: int = 0
    messages: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.offices_created or self.offices_updated or self.procedures_created
                    or self.procedures_new_version)


def load_schema(fmt: str = FORMAT) -> dict:
    """The JSON schema of catalogue format `fmt` (the current one by default)."""
    return json.loads(resources.files("district_portal.data").joinpath(
        SCHEMAS[fmt]).read_text("utf-8"))


def file_format(doc: object) -> str:
    """The file's declared format when it is one we read, else the current one (whose schema
    then reports the wrong `format`)."""
    fmt = doc.get("format") if isinstance(doc, dict) else None
    return fmt if fmt in SCHEMAS else FORMAT


def demo_catalog_path():
    return resources.files("district_portal.data").joinpath("demo-phu-tho.json")


def validate_catalog(doc: object, known_offices: set[str] = frozenset()) -> list[str]:
    """Every error in `doc`, each prefixed with its JSON path; [] when the file is valid.

    Beyond the schema: unique codes and keys, keys that would collide with the applicant
    section, the CSRF field or a derived `<key>_label`, `visible_if` pointing at a field of
    the same procedure, options for choice fields, and offices that exist (in the file or in
    `known_offices`). Format 2 also checks fee rules (the fields they count or test, tier
    order) and refuses an online_level "full" procedure that is not ready (services/catalog/
    readiness.py), one error per reason.
    """
    fmt = file_format(doc)
    validator = Draft202012Validator(load_schema(fmt))
    errors = [f"{e.json_path}: {e.message}" for e in
              sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path)))]
    if errors or not isinstance(doc, dict):
        return errors
    errors = list(_nul_errors(doc, "$"))
    if errors:
        return errors
    offices = doc.get("offices", [])
    codes_in_file = [o["agency_code"] for o in offices]
    available = set(codes_in_file) | set(known_offices)
    seen: set[str] = set()
    for i, office in enumerate(offices):
        path = f"$.offices[{i}]"
        if office["agency_code"] in seen:
            errors.append(f"{path}.agency_code: duplicate agency code {office['agency_code']!r}")
        seen.add(office["agency_code"])
        for ref in ("parent", "successor"):
            if ref in office and office[ref] not in available:
                errors.append(f"{path}.{ref}: unknown office {office[ref]!r}")
        for j, period in enumerate(office.get("hours", [])):
            start, end = period.split("-")
            if start >= end:
                errors.append(f"{path}.hours[{j}]: period {period!r} ends before it starts")
    seen = set()
    for i, proc in enumerate(doc["procedures"]):
        path = f"$.procedures[{i}]"
        if proc["code"] in seen:
            errors.append(f"{path}.code: duplicate procedure code {proc['code']!r}")
        seen.add(proc["code"])
        for j, code in enumerate(proc["offices"]):
            if code not in available:
                errors.append(f"{path}.offices[{j}]: unknown office {code!r}")
        errors.extend(_key_errors(proc, path))
        if fmt != FORMAT_1:
            errors.extend(rule_errors(proc, path))
            if proc["online_level"] == "full":
                errors.extend(f"{path}.{r.path}: a fully online procedure needs this: "
                              f"{r.message}" for r in readiness(proc))
    return errors


def _nul_errors(value: object, path: str):
    """A NUL character in any text or key: no form types one, and PostgreSQL refuses it in
    text and JSON, so the file is refused with where it is rather than failing on import."""
    if isinstance(value, str):
        if "\x00" in value:
            yield f"{path}: contains a NUL character (\\u0000)"
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                yield f"{path}: a key contains a NUL character (\\u0000)"
            yield from _nul_errors(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nul_errors(item, f"{path}[{i}]")


def readiness_warnings(doc: dict) -> list[str]:
    """Format-1 files still import their "full" procedures; say which are not ready."""
    if file_format(doc) != FORMAT_1:
        return []
    return [f"$.procedures[{i}].{r.path}: not ready to be fully online: {r.message}"
            for i, proc in enumerate(doc["procedures"]) if proc["online_level"] == "full"
            for r in readiness(proc)]


def _key_errors(proc: dict, path: str) -> list[str]:
    errors = _key_collisions(proc, path)
    field_types = {f["key"]: f["type"] for f in proc["fields"]}
    for j, f in enumerate(proc["fields"]):
        errors.extend(_field_errors(f, f"{path}.fields[{j}]", field_types))
    for j, key in enumerate((proc.get("result") or {}).get("verify_fields", [])):
        if key not in field_types:
            errors.append(f"{path}.result.verify_fields[{j}]: unknown field {key!r}")
    return errors


def _key_collisions(proc: dict, path: str) -> list[str]:
    """Keys used twice, or colliding with the applicant section, the form or a derived label."""
    errors = []
    items = [(f"{path}.fields[{j}]", f["key"]) for j, f in enumerate(proc["fields"])]
    items += [(f"{path}.documents[{j}]", d["key"]) for j, d in enumerate(proc["documents"])]
    keys = [k for _, k in items]
    for where, key in items:
        if keys.count(key) > 1:
            errors.append(f"{where}.key: key {key!r} is used more than once in this procedure")
        if key.startswith(APPLICANT_PREFIX):
            errors.append(f"{where}.key: key {key!r} collides with the applicant section")
        if key in RESERVED_KEYS:
            errors.append(f"{where}.key: key {key!r} is reserved by the form")
        if key.endswith("_label") and key[: -len("_label")] in keys:
            errors.append(f"{where}.key: key {key!r} collides with the derived label of "
                          f"{key[: -len('_label')]!r}")
    return errors


def _field_errors(f: dict, where: str, field_types: dict[str, str]) -> list[str]:
    """What the schema cannot say about one field: options, its condition, bounds, pattern."""
    errors = []
    if f["type"] in ("select", "radio") and not f.get("options"):
        errors.append(f"{where}.options: a {f['type']} field needs options")
    values = [o["value"] for o in f.get("options", [])]
    if len(values) != len(set(values)):
        errors.append(f"{where}.options: option values must be unique")
    cond = f.get("visible_if")
    if cond:
        if cond["field"] not in field_types:
            errors.append(f"{where}.visible_if.field: unknown field {cond['field']!r}")
        elif cond["field"] == f["key"]:
            errors.append(f"{where}.visible_if.field: a field cannot depend on itself")
    if "min_length" in f and "max_length" in f and f["min_length"] > f["max_length"]:
        errors.append(f"{where}: min_length is greater than max_length")
    if "min" in f and "max" in f and f["min"] > f["max"]:
        errors.append(f"{where}: min is greater than max")
    if "pattern" in f:
        try:
            re.compile(f["pattern"])
        except re.error as exc:
            errors.append(f"{where}.pattern: not a valid regular expression ({exc})")
    return errors


def search_key(data: dict) -> str:
    return fold(" ".join([data["name"], data["code"], data["field"], data["result"]["name"]]))


def import_catalog(session: Session, doc: object, user_id: int | None = None,
                   reason: str = "catalogue import") -> ImportReport:
    """Import a parsed catalogue file; all or nothing, idempotent by code.

    Raises CatalogError (having written nothing) when the file is invalid. A procedure whose
    entry changed gets a new ProcedureVersion; a changed online level is logged in
    ProcedureLevelChange; re-importing the same file changes nothing.
    """
    known = set(session.scalars(select(Office.agency_code)))
    errors = validate_catalog(doc, known)
    if errors:
        raise CatalogError(errors)
    report = ImportReport(messages=readiness_warnings(doc))
    offices = {o.agency_code: o for o in session.scalars(select(Office))}
    with_postage = file_format(doc) != FORMAT_1  # format 1 knows no postage: keep it
    for entry in doc.get("offices", []):
        _upsert_office(session, offices, entry, report, with_postage)
    session.flush()
    for entry in doc.get("offices", []):
        office = offices[entry["agency_code"]]
        parent = offices.get(entry.get("parent")) if entry.get("parent") else None
        successor = offices.get(entry.get("successor")) if entry.get("successor") else None
        if office.parent is not parent or office.successor is not successor:
            office.parent, office.successor = parent, successor
    for entry in doc["procedures"]:
        _upsert_procedure(session, offices, entry, report, user_id, reason)
    session.flush()
    return report


def _upsert_office(session, offices, entry, report, with_postage=True) -> None:
    values = {
        "name": entry["name"],
        "kind": OfficeKind(entry["kind"]),
        "admin_unit_code": entry.get("admin_unit_code"),
        "address": entry.get("address"),
        "phone": entry.get("phone"),
        "hours": entry.get("hours"),
        "active": entry.get("active", True),
    }
    if with_postage:
        values["postage"] = entry.get("postage")
    office = offices.get(entry["agency_code"])
    if office is None:
        office = Office(agency_code=entry["agency_code"], **values)
        session.add(office)
        offices[office.agency_code] = office
        report.offices_created += 1
        return
    if any(getattr(office, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(office, k, v)
        report.offices_updated += 1


def _upsert_procedure(session, offices, entry, report, user_id, reason) -> None:
    data = {k: v for k, v in entry.items() if k != "published"}
    published = entry.get("published", True)
    proc = session.scalar(select(Procedure).where(Procedure.code == entry["code"]))
    old_level = None
    if proc is None:
        proc = Procedure(code=entry["code"], published=published)
        session.add(proc)
        number = 1
        report.procedures_created += 1
    else:
        current = proc.current_version
        if proc.published != published:
            proc.published = published
            proc.updated_at = utcnow()
        if current is not None and current.data == data:
            report.procedures_unchanged += 1
            return
        old_level = current.data["online_level"] if current else None
        number = (current.number if current else 0) + 1
        report.procedures_new_version += 1
    version = ProcedureVersion(procedure=proc, number=number, data=data)
    session.add(version)
    proc.current_version = version
    proc.name = data["name"]
    proc.field = data["field"]
    proc.online_level = data["online_level"]
    proc.search_text = search_key(data)
    proc.updated_at = utcnow()
    proc.offices = [offices[c] for c in data["offices"]]
    if old_level != data["online_level"]:
        session.add(ProcedureLevelChange(procedure=proc, old_level=old_level,
                                         new_level=data["online_level"], user_id=user_id,
                                         reason=reason))
        report.level_changes += 1


def export_catalog(session: Session) -> dict:
    """The whole catalogue as a file that re-imports to the same catalogue."""
    offices = session.scalars(select(Office).order_by(Office.id)).all()
    out_offices = []
    for o in offices:
        entry = {"agency_code": o.agency_code, "name": o.name, "kind": str(o.kind)}
        optional = {
            "admin_unit_code": o.admin_unit_code,
            "parent": o.parent.agency_code if o.parent else None,
            "address": o.address,
            "phone": o.phone,
            "hours": o.hours,
            "postage": o.postage,
            "successor": o.successor.agency_code if o.successor else None,
        }
        entry.update({k: v for k, v in optional.items() if v is not None})
        if not o.active:
            entry["active"] = False
        out_offices.append(entry)
    procedures = session.scalars(
        select(Procedure).options(selectinload(Procedure.current_version)).order_by(Procedure.id)
    ).all()
    out_procs = []
    for p in procedures:
        entry = dict(p.current_version.data)
        if not p.published:
            entry["published"] = False
        out_procs.append(entry)
    return {"format": FORMAT, "offices": out_offices, "procedures": out_procs}
