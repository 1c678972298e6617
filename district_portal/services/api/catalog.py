"""The published catalogue as the API shows it: lists of procedures and one procedure's
current version. Only public handbook data: never a result template or anything internal."""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from district_portal.models import Procedure
from district_portal.services.api.changes import iso
from district_portal.services.catalog import fees, queries
from district_portal.services.catalog.readiness import step_text

# What a procedure's current version shows besides the summary fields.
DETAIL_KEYS = ("level", "fee_note", "steps", "documents", "legal_basis")
FIELD_KEYS = ("key", "label", "type", "required", "help", "options", "min_length",
              "max_length", "min", "max", "pattern", "visible_if")


def _offices(proc: Procedure) -> list[dict]:
    return [{"agency_code": o.agency_code, "name": o.name}
            for o in sorted(proc.offices, key=lambda o: o.agency_code)]


def summary(proc: Procedure) -> dict:
    """Code, name, field, online level, time limit, fee and receiving offices."""
    data = proc.current_version.data if proc.current_version else {}
    return {
        "code": proc.code,
        "name": proc.name,
        "field": proc.field,
        "online_level": proc.online_level,
        "processing_time": data.get("processing_time"),
        "fee": fees.headline_amount(data),
        "offices": _offices(proc),
    }


def procedure_page(session: Session, query: dict) -> dict:
    """One page of published procedures matching the filter, with the paging figures."""
    flt = queries.ProcedureFilter(q=query["q"], field=query["field"], level=query["level"],
                                  office=query["office"])
    rows, total = queries.search_procedures(session, flt, page=query["page"],
                                            per_page=query["per_page"])
    per_page = query["per_page"]
    return {
        "items": [summary(p) for p in rows],
        "page": query["page"],
        "per_page": per_page,
        "total": total,
        "pages": max(1, math.ceil(total / per_page)),
    }


def procedure_detail(session: Session, code: str) -> dict | None:
    """A published procedure with its current version's public data; None otherwise."""
    proc = queries.published_procedure(session, code)
    if proc is None or proc.current_version is None:
        return None
    version = proc.current_version
    data = version.data
    detail = summary(proc)
    detail.update({k: data[k] for k in DETAIL_KEYS if k in data})
    detail["steps"] = [step_text(s) for s in data.get("steps", [])]
    detail["fee_rules"] = fees.fee_rules(data)
    detail["fields"] = [{k: f[k] for k in FIELD_KEYS if k in f} for f in data.get("fields", [])]
    detail["result"] = {"name": data.get("result", {}).get("name", "")}
    detail["version"] = version.number
    detail["updated_at"] = iso(proc.updated_at)
    return detail
