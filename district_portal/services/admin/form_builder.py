"""The form builder (issue 13, item 2): every action changes the procedure's DRAFT
(services/admin/procedures.py) and is audited as "procedure.draft_edit" with the changed part
before and after; "save as a new version" validates the whole entry with the importer's rules.

Lists an admin edits item by item ("parts"): fields and required documents (named by key),
handbook steps and fee lines (named by their position, 1-based). The fee's settings and the
result definition are edited as a whole."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from district_portal.models import Dossier, Office, Procedure, ProcedureVersion, User
from district_portal.services.admin import audit
from district_portal.services.admin import form_checks as checks
from district_portal.services.admin import procedures as drafts
from district_portal.services.admin.form_checks import BuilderError
from district_portal.services.catalog.readiness import readiness

PARTS = ("fields", "documents", "steps", "fee-lines")
KEYED = ("fields", "documents")

__all__ = ["PARTS", "BuilderError", "apply_item", "delete_item", "dossiers_using",
           "find_item", "move_item", "save", "step_parts"]


def procedure_by_code(session: Session, code: str) -> Procedure | None:
    return session.scalar(select(Procedure).where(Procedure.code == code))


def procedures(session: Session) -> list[Procedure]:
    """Every procedure with a version, by name (the caller keeps those the admin may edit)."""
    return list(session.scalars(select(Procedure).where(
        Procedure.current_version_id.is_not(None)).order_by(Procedure.name)))


def offices_of(session: Session, data: dict) -> list[Office]:
    """The receiving offices an entry names, by name (the handbook page lists them)."""
    return list(session.scalars(select(Office).where(
        Office.agency_code.in_(data.get("offices") or [""])).order_by(Office.name)))


def items(data: dict, part: str) -> list:
    """The list `part` names inside the entry (created empty when missing)."""
    if part == "fee-lines":
        return fee_object(data)["lines"]
    return data.setdefault(part, [])


def fee_object(data: dict) -> dict:
    """The fee as a format-2 object (a fixed fee becomes one line), so lines can be edited."""
    fee = data.get("fee", 0)
    if not isinstance(fee, dict):
        fee = {"lines": [{"label": str(_l("Fee")), "amount": int(fee)}] if fee else []}
        if data.get("fee_note"):
            fee["note"] = data["fee_note"]
        data.pop("fee_note", None)
        data["fee"] = fee
    fee.setdefault("lines", [])
    return fee


def find_item(data: dict, part: str, ref: str) -> int | None:
    """The index of the item `ref` names (a key, or a 1-based position), None if none."""
    if part not in PARTS:
        return None
    listed = data.get(part, []) if part != "fee-lines" else \
        (data.get("fee") or {}).get("lines", []) if isinstance(data.get("fee"), dict) else []
    if part in KEYED:
        return next((i for i, item in enumerate(listed) if item.get("key") == ref), None)
    if not re.fullmatch(r"[1-9][0-9]{0,3}", ref or "") or int(ref) > len(listed):
        return None
    return int(ref) - 1


def step_parts(step) -> tuple[str, bool]:
    """(text, in person) of a handbook step, a plain string or an object."""
    if isinstance(step, dict):
        return step.get("text", ""), bool(step.get("in_person"))
    return str(step), False


def form_data(part: str, item) -> dict:
    """What the editor's inputs show for an existing item (the reverse of the parsers)."""
    if part == "steps":
        words, in_person = step_parts(item)
        return {"text": words, "in_person": in_person}
    data = dict(item)
    if part == "fields":
        cond = data.pop("visible_if", None) or {}
        equals = cond.get("equals", "")
        data.update(options="\n".join(f"{o['value']} | {o['label']}"
                                       for o in item.get("options", [])),
                    visible_field=cond.get("field", ""),
                    visible_equals=("có" if equals else "không") if isinstance(equals, bool)
                    else str(equals))
    elif part == "fee-lines":
        data.update(tiers=checks.tiers_text(item.get("tiers", [])),
                    exempt_if=checks.conditions_text(item.get("exempt_if", [])))
    return data


def _keys(data: dict, skip_field: str | None = None, skip_document: str | None = None):
    return ({f["key"] for f in data.get("fields", []) if f["key"] != skip_field}
            | {d["key"] for d in data.get("documents", []) if d["key"] != skip_document})


def _parse(data: dict, part: str, index: int | None, values: Mapping[str, str]):
    old = items(data, part)[index] if index is not None else None
    if part == "fields":
        old_key = old["key"] if old else None
        others = [f for f in data.get("fields", []) if f["key"] != old_key]
        return checks.parse_field(values, others, _keys(data, skip_field=old_key), old_key,
                                  data)
    if part == "documents":
        return checks.parse_document(values, _keys(data, skip_document=old and old["key"]))
    if part == "steps":
        return checks.parse_step(values, data.get("online_level", "none"))
    return checks.parse_fee_line(values, data.get("fields", []))


def _store(session: Session, actor: User, procedure: Procedure, data: dict, what: str,
           before, after) -> None:
    drafts.store_draft(session, actor, procedure, data)
    audit.record(session, actor, "procedure.draft_edit", "procedure", procedure.code,
                 before={what: before}, after={what: after})


def apply_item(session: Session, actor: User, procedure: Procedure, part: str,
               ref: str | None, values: Mapping[str, str]) -> dict:
    """Add (`ref` None) or replace an item of `part` from the typed `values`; BuilderError
    (nothing stored) when a value is refused."""
    data = drafts.draft_data(session, procedure)
    index = find_item(data, part, ref) if ref is not None else None
    if ref is not None and index is None:
        raise LookupError(ref)
    item = _parse(data, part, index, values)
    listed = items(data, part)
    before = copy.deepcopy(listed[index]) if index is not None else None
    if index is None:
        listed.append(item)
    else:
        listed[index] = item
    _store(session, actor, procedure, data, part, before, item)
    return item


def move_item(session: Session, actor: User, procedure: Procedure, part: str, ref: str,
              up: bool) -> None:
    data = drafts.draft_data(session, procedure)
    index = find_item(data, part, ref)
    if index is None:
        raise LookupError(ref)
    listed = items(data, part)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(listed):
        return
    order_before = [_name(item) for item in listed]
    listed[index], listed[other] = listed[other], listed[index]
    _store(session, actor, procedure, data, f"{part}.order", order_before,
           [_name(item) for item in listed])


def _name(item) -> str:
    if isinstance(item, dict):
        return item.get("key") or item.get("label") or item.get("text") or ""
    return str(item)[:60]


def delete_item(session: Session, actor: User, procedure: Procedure, part: str,
                ref: str) -> None:
    """Remove an item; refused while something else of the entry still names it, or for the
    last handbook step."""
    data = drafts.draft_data(session, procedure)
    index = find_item(data, part, ref)
    if index is None:
        raise LookupError(ref)
    listed = items(data, part)
    item = listed[index]
    if part == "fields" and (users := checks.users_of(data["fields"], item["key"], data)):
        raise BuilderError({"delete": _l("This question cannot be deleted yet: %(users)s "
                                         "uses it. Change that first.", users=users)})
    if part == "steps" and len(listed) == 1:
        raise BuilderError({"delete": _l("A procedure needs at least one step.")})
    del listed[index]
    _store(session, actor, procedure, data, part, item, None)


def dossiers_using(session: Session, procedure: Procedure) -> int:
    """Dossiers (drafts included) filed under the current version: they keep it."""
    return session.scalar(select(func.count(Dossier.id)).where(
        Dossier.procedure_version_id == procedure.current_version_id)) or 0


def save_fee(session: Session, actor: User, procedure: Procedure,
             values: Mapping[str, str]) -> None:
    data = drafts.draft_data(session, procedure)
    fee = fee_object(data)
    names = ("note", "online_payment", "exempt_if")
    before = {k: fee.get(k) for k in names}
    errors: dict[str, object] = {}
    note = checks.text(values, "note")
    if len(note) > checks.TEXT_MAX:
        errors["note"] = _l("At most %(n)d characters.", n=checks.TEXT_MAX)
    exempt = checks.parse_conditions(values.get("exempt_if") or "", data.get("fields", []),
                                     errors)
    if errors:
        raise BuilderError(errors)
    for name, value in (("note", note), ("exempt_if", exempt)):
        fee.pop(name, None)
        if value:
            fee[name] = value
    fee["online_payment"] = checks.flag(values, "online_payment")
    _store(session, actor, procedure, data, "fee", before, {k: fee.get(k) for k in names})


def fee_form_data(data: dict) -> dict:
    fee = fee_object(copy.deepcopy(data))
    return {"note": fee.get("note", ""), "online_payment": fee.get("online_payment", False),
            "exempt_if": checks.conditions_text(fee.get("exempt_if", []))}


def save(session: Session, actor: User, procedure: Procedure) -> ProcedureVersion:
    """The draft as the new current version; BuilderError with Vietnamese reasons (the draft
    kept) when the importer's rules refuse it."""
    data = drafts.draft_data(session, procedure)
    errors = drafts.entry_errors(session, data)
    if errors:
        raise BuilderError({"save": [where_text(e) for e in errors]})
    try:
        return drafts.save_draft(session, actor, procedure, note="form builder")
    except drafts.ProcedureEditError as exc:
        raise BuilderError({"save": [where_text(e) for e in exc.errors]}) from None


_WHERE = (
    (re.compile(r"\.fields\[(\d+)\]"), _l("Question %(n)s")),
    (re.compile(r"\.documents\[(\d+)\]"), _l("Document %(n)s")),
    (re.compile(r"\.steps\[(\d+)\]"), _l("Step %(n)s")),
    (re.compile(r"\.fee\.lines\[(\d+)\]"), _l("Fee line %(n)s")),
    (re.compile(r"\.fee"), _l("The fee")),
    (re.compile(r"\.result"), _l("The result")),
)


def where_text(error: str) -> str:
    """An importer error ('$.procedures[0].fields[1].key: ...') said in Vietnamese: which
    part of the procedure to fix, never the English path."""
    path = error.split(":", 1)[0]
    if "online_level" in error or "fully online" in error:
        return str(_l("A fully online procedure needs online payment of its fee, a result "
                      "that reaches the resident online or by post, and no step at the "
                      "office."))
    for pattern, words in _WHERE:
        match = pattern.search(path)
        if match:
            n = int(match.group(1)) + 1 if match.groups() else ""
            return str(_l("%(where)s is not valid yet: open it and correct it.",
                          where=str(words) % {"n": n}))
    return str(_l("A property of the procedure is not valid: correct it on the procedure's "
                  "page."))


def readiness_texts(data: dict) -> list[str]:
    return [str(r.message) for r in readiness(data)] if data.get("online_level") == "full" \
        else []
