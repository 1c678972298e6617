"""Catalogue import and export from the admin console (issue 13): the CLI's validation (all or
nothing), limited to the admin's province, audited; errors made readable in Vietnamese."""

from __future__ import annotations

import json
import re
from dataclasses import asdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from district_portal.models import Office, Procedure, User
from district_portal.services.admin import audit
from district_portal.services.catalog.importer import (
    CatalogError,
    ImportReport,
    export_catalog,
    import_catalog,
)
from district_portal.services.catalog.queries import office_subtree

MAX_BYTES = 2 * 1024 * 1024  # the demo catalogue is 26 kB; a province's is well below this
MAX_DEPTH = 40  # nesting deeper than any catalogue's (fields > options > ...)
REASON = "catalogue import (admin console)"


def export(session: Session, actor: User) -> dict:
    """The whole catalogue as a file (the CLI's catalog-export), audited."""
    doc = export_catalog(session)
    audit.record(session, actor, "catalogue.export", "catalogue", "",
                 after={"offices": len(doc["offices"]), "procedures": len(doc["procedures"])},
                 office=_province_office(actor))
    return doc


def parse(raw: bytes) -> object:
    """The uploaded file as JSON, or CatalogError with one '$: message' in Vietnamese."""
    if not raw.strip():
        raise CatalogError(["$: " + str(_l("The file is empty."))])
    if len(raw) > MAX_BYTES:
        raise CatalogError(["$: " + str(_l("The file is larger than %(size)d MB.",
                                           size=MAX_BYTES // (1024 * 1024)))])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogError(["$: " + str(_l("The file is not UTF-8 text."))]) from None
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        message = str(_l("The file is not valid JSON."))
        if isinstance(exc, json.JSONDecodeError):
            message = str(_l("The file is not valid JSON (line %(line)d, column %(col)d).",
                             line=exc.lineno, col=exc.colno))
        raise CatalogError(["$: " + message]) from None
    if _depth(doc) > MAX_DEPTH:
        raise CatalogError(["$: " + str(_l("The file is nested too deeply."))])
    return doc


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _depth(value, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def run_import(session: Session, actor: User, doc: object, *,
               check_only: bool = False) -> ImportReport:
    """Import `doc` all or nothing; with `check_only`, validate and count the changes it would
    make, then write nothing. Raises CatalogError (nothing written) for an invalid file or one
    that creates or changes offices or procedures outside the admin's province."""
    before = _snapshot(session)
    try:
        with session.begin_nested():  # left by an exception: everything rolled back
            report = import_catalog(session, doc, user_id=actor.id, reason=REASON)
            errors = _outside_province(session, actor, doc, before)
            if errors:
                raise CatalogError(errors)
            if check_only:
                raise _CheckedOnly(report)
    except _CheckedOnly as checked:
        return checked.report
    audit.record(session, actor, "catalogue.import", "catalogue", "",
                 after=report_dict(report), office=_province_office(actor))
    return report


class _CheckedOnly(Exception):  # noqa: N818 (not an error: the way out of the savepoint)
    def __init__(self, report: ImportReport):
        super().__init__("checked only")
        self.report = report


def report_dict(report: ImportReport) -> dict:
    out = asdict(report)
    if not out["messages"]:
        del out["messages"]
    return out


def _province_office(actor: User) -> Office | None:
    office = actor.office
    if office is not None and str(office.kind) == "centre" and office.parent is not None:
        return office.parent
    return office


def _office_state(o: Office) -> tuple:
    return (o.name, str(o.kind), o.admin_unit_code, o.address, o.phone, o.hours, o.active,
            o.postage, o.parent_id, o.successor_id)


def _snapshot(session: Session) -> dict:
    offices = {o.agency_code: (o.id, _office_state(o)) for o in session.scalars(select(Office))}
    procedures = {p.code: (p.current_version_id, p.published, frozenset(o.id for o in p.offices))
                  for p in session.scalars(select(Procedure)
                                           .options(selectinload(Procedure.offices)))}
    return {"offices": offices, "procedures": procedures}


def _province_ids(session: Session, actor: User) -> set[int]:
    """The province's offices as they are now (inside the import's savepoint)."""
    root = _province_office(actor)
    if root is None:
        return set()
    return set(office_subtree(session, root))


def _outside_province(session: Session, actor: User, doc, before: dict) -> list[str]:
    """'path: message' for every office or procedure the import created or changed outside
    the admin's province (an office moved in from another province counts as outside)."""
    session.expire_all()
    old_ids = {oid for oid, _state in before["offices"].values()}
    ours_before = _province_ids(session, actor) & old_ids  # as it was: offices existed before
    ours_now = _province_ids(session, actor)
    new_ids = ours_now - old_ids
    allowed = ours_before | new_ids
    errors = []
    paths = {e.get("agency_code"): i for i, e in enumerate(doc.get("offices", []))}
    for o in session.scalars(select(Office)):
        old = before["offices"].get(o.agency_code)
        changed = old is None or old[1] != _office_state(o)
        if changed and o.id not in (ours_now & allowed):
            errors.append(f"$.offices[{paths.get(o.agency_code, 0)}]: " + str(_l(
                "office %(code)s is outside your province: you may not create or change it.",
                code=o.agency_code)))
    paths = {e.get("code"): i for i, e in enumerate(doc.get("procedures", []))}
    for p in session.scalars(select(Procedure)):
        old = before["procedures"].get(p.code)
        now = (p.current_version_id, p.published, frozenset(o.id for o in p.offices))
        if old == now:
            continue
        touched = now[2] | (old[2] if old else frozenset())
        if not touched <= allowed:
            errors.append(f"$.procedures[{paths.get(p.code, 0)}]: " + str(_l(
                "procedure %(code)s is served by offices outside your province: you may not "
                "create or change it.", code=p.code)))
    return errors


# The catalogue's validation speaks English (the CLI's and jsonschema's words); the page shows
# each error as its path and, for the common messages, a Vietnamese sentence.
_MESSAGES = [
    (r"'(?P<name>[^']*)' is a required property",
     _l("the required item “%(name)s” is missing")),
    (r"(?P<value>.*) is not of type (?P<type>.*)",
     _l("%(value)s is not of the expected type (%(type)s)")),
    (r"Additional properties are not allowed \((?P<names>.*) (?:was|were) unexpected\)",
     _l("%(names)s: not an item of the catalogue format")),
    (r"(?P<value>.*) is not one of (?P<allowed>.*)",
     _l("%(value)s is not one of the allowed values %(allowed)s")),
    (r"(?P<value>.*) does not match (?P<pattern>.*)",
     _l("%(value)s does not have the expected form %(pattern)s")),
    (r"(?P<value>.*) (?:is too short|should be non-empty)", _l("%(value)s is too short or empty")),
    (r"(?P<value>.*) is too long", _l("%(value)s is too long")),
    (r"(?P<value>.*) is less than the minimum of (?P<limit>.*)",
     _l("%(value)s is less than the minimum %(limit)s")),
    (r"(?P<value>.*) is greater than the maximum of (?P<limit>.*)",
     _l("%(value)s is greater than the maximum %(limit)s")),
    (r"(?P<value>.*) was expected", _l("%(value)s was expected")),
    (r"duplicate agency code (?P<value>.*)", _l("agency code %(value)s appears twice")),
    (r"duplicate procedure code (?P<value>.*)", _l("procedure code %(value)s appears twice")),
    (r"unknown office (?P<value>.*)", _l("there is no office %(value)s")),
    (r"unknown field (?P<value>.*)", _l("there is no field %(value)s in this procedure")),
    (r"key (?P<value>.*) is used more than once in this procedure",
     _l("key %(value)s is used more than once in this procedure")),
    (r"a (?P<type>\w+) field needs options", _l("a %(type)s field needs options")),
    (r"option values must be unique", _l("option values must be unique")),
    (r"min is greater than max", _l("min is greater than max")),
    (r"min_length is greater than max_length", _l("min_length is greater than max_length")),
]
_COMPILED = [(re.compile(rf"^{pattern}$", re.S), message) for pattern, message in _MESSAGES]


def readable(errors: list[str]) -> list[tuple[str, str]]:
    """(path, message) for each 'path: message' error, the message in Vietnamese when it is
    one of the common ones (else as it is)."""
    out = []
    for error in errors:
        path, sep, message = str(error).partition(": ")
        if not sep:
            path, message = "$", str(error)
        out.append((path, _translate(message)))
    return out


def _translate(message: str) -> str:
    for pattern, vietnamese in _COMPILED:
        match = pattern.match(message)
        if match:
            return str(vietnamese) % match.groupdict() if match.groupdict() else str(vietnamese)
    return message
