"""The OpenAPI 3.1 document of /api/v1 (served at /api/v1/openapi.json). Its schemas are JSON
Schema 2020-12; the tests check the API's real answers against them."""

from __future__ import annotations

from functools import cache

from district_portal.services.api.changes import DEFAULT_LIMIT, MAX_LIMIT

NULLABLE_STRING = {"type": ["string", "null"]}
COUNT = {"type": "integer", "minimum": 0}
RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
LEVEL = {"type": "string", "enum": ["full", "partial", "none"],
         "description": "full = toàn trình (mức độ 4), partial = một phần (mức độ 3), "
                        "none = trực tiếp"}


def _obj(props: dict, required=None, additional=False, **extra) -> dict:
    return {"type": "object", "properties": props,
            "required": list(props) if required is None else required,
            "additionalProperties": additional, **extra}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _figures() -> dict:
    counts = ("received", "received_online", "received_counter", "refused", "withdrawn",
              "waiting_intake", "intake_overdue", "intake_late", "supplement_requested",
              "resolved", "resolved_on_time", "resolved_late", "extended", "open",
              "open_not_due", "open_overdue", "paused")
    props = {name: COUNT for name in counts}
    props.update(online_share=RATE, on_time_rate=RATE,
                 average_processing_working_days={"type": ["number", "null"], "minimum": 0})
    return props


OFFICE = _obj({"agency_code": {"type": "string"}, "name": {"type": "string"}})


def _catalog_schemas() -> dict:
    processing_time = _obj({"amount": {"type": "integer", "minimum": 0},
                            "unit": {"enum": ["working_days", "working_hours", "same_day"]}})
    summary_props = {
        "code": {"type": "string"}, "name": {"type": "string"}, "field": {"type": "string"},
        "online_level": LEVEL, "processing_time": processing_time,
        "fee": {"type": "integer", "minimum": 0,
                "description": "VND: the fixed fee, or its first tier when it depends on the "
                               "answers (see fee_rules)"},
        "offices": {"type": "array", "items": _ref("Office")},
    }
    return {
        "Office": OFFICE,
        "ProcedureSummary": _obj(summary_props),
        "ProcedurePage": _obj({
            "items": {"type": "array", "items": _ref("ProcedureSummary")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": COUNT, "pages": {"type": "integer", "minimum": 1}}),
        "ProcedureDetail": _obj({
            **summary_props,
            "level": {"enum": ["province", "commune"], "description": "the tier that decides"},
            "fee_note": {"type": "string"},
            "fee_rules": {"type": "object", "description": "the catalogue's fee rules (format "
                                                           "2): lines, tiers, caps, exemptions"},
            "steps": {"type": "array", "items": {"type": "string"}},
            "documents": {"type": "array", "items": _obj({
                "key": {"type": "string"}, "name": {"type": "string"},
                "originals": COUNT, "copies": COUNT, "mandatory": {"type": "boolean"}},
                required=["key", "name", "mandatory"])},
            "fields": {"type": "array", "items": _obj({
                "key": {"type": "string"}, "label": {"type": "string"},
                "type": {"type": "string"}}, required=["key", "label", "type"],
                additional=True)},
            "legal_basis": {"type": "array", "items": {"type": "string"}},
            "result": _obj({"name": {"type": "string"}}),
            "version": {"type": "integer", "minimum": 1},
            "updated_at": {"type": "string", "format": "date-time"},
        }, required=[*summary_props, "level", "steps", "documents", "fields", "result",
                     "version", "updated_at"]),
    }


def _change_schemas() -> dict:
    return {
        "Change": _obj({
            "event_id": {"type": "string", "description": "stable id: the same event "
                                                          "delivered twice has the same id"},
            "dossier_code": {"type": "string"}, "procedure_code": {"type": "string"},
            "receiving_office": NULLABLE_STRING, "handling_office": NULLABLE_STRING,
            "from_office": NULLABLE_STRING, "to_office": NULLABLE_STRING,
            "action": {"type": "string"}, "from_status": NULLABLE_STRING,
            "to_status": {"type": "string"},
            "at": {"type": "string", "format": "date-time"}},
            description="One status change. Never personal data: no names, ID numbers, "
                        "phones, answers or notes."),
        "ChangesPage": _obj({
            "items": {"type": "array", "items": _ref("Change")},
            "next_cursor": {"type": "string", "description": "pass as since= for the next "
                                                             "page (also when items is empty)"},
            "has_more": {"type": "boolean"}}),
        "WebhookDelivery": _obj({"type": {"const": "dossier.event"}, "event": _ref("Change")}),
    }


def _stats_schema() -> dict:
    figures = _figures()
    progress = {k: v for k, v in figures.items() if k not in (
        "received", "received_online", "received_counter", "online_share")}
    return _obj({
        "as_of": {"type": "string", "format": "date-time"},
        "period": _obj({"start": {"type": "string", "format": "date"},
                        "end": {"type": "string", "format": "date"}}),
        "office": {"oneOf": [OFFICE, {"type": "null"}]},
        "transparency": _obj({
            "procedures_published": COUNT,
            "procedures_by_level": _obj({"full": COUNT, "partial": COUNT, "none": COUNT,
                                         "total": COUNT}),
            "level_labels": {"type": "object",
                             "additionalProperties": {"type": "string"}}}),
        "progress": _obj(progress),
        "online_service": _obj({
            "procedures_full": COUNT, "procedures_partial": COUNT,
            "full_online_share": RATE, "full_online_target": RATE,
            "full_online_needed": COUNT, "received": COUNT, "received_online": COUNT,
            "received_counter": COUNT, "online_share": RATE}),
        "online_payment": _obj({
            "online": _obj({"count": COUNT, "amount": COUNT}),
            "desk": _obj({"count": COUNT, "amount": COUNT}),
            "online_share": RATE}),
        "satisfaction": _obj({
            "ratings": {"type": "object", "additionalProperties": COUNT},
            "count": COUNT, "average": {"type": ["number", "null"]}}),
        "by_office": {"type": "array", "items": _obj(
            {"agency_code": {"type": "string"}, "name": {"type": "string"}, **figures})},
        "by_procedure": {"type": "array", "items": _obj(
            {"code": {"type": "string"}, "name": {"type": "string"},
             "online_level": LEVEL, **figures})},
    }, description="Grouped as the service-quality index of Decision 766/QĐ-TTg (2022).")


def _schemas() -> dict:
    error = _obj({"error": _obj({
        "code": {"type": "string", "examples": ["not_found", "unauthorized"]},
        "message": {"type": "string", "description": "Vietnamese, for people"}})})
    return {"Error": error, **_catalog_schemas(), **_change_schemas(),
            "Figures": _obj(_figures()), "Stats": _stats_schema()}


def _query(name: str, description: str, schema: dict | None = None, **extra) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}, **extra}


ETAG = {"ETag": {"description": "strong validator; send it back as If-None-Match",
                 "schema": {"type": "string"}}}


def _ok(schema: dict, description: str) -> dict:
    return {"description": description, "headers": ETAG,
            "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    texts = {304: "not modified (If-None-Match matched the ETag)", 400: "bad parameters",
             401: "missing, unknown or revoked API key", 403: "the key lacks the scope",
             404: "not found", 429: "too many requests"}
    out = {}
    for code in codes:
        if code == 304:
            out["304"] = {"description": texts[304], "headers": ETAG}
        else:
            out[str(code)] = {"description": texts[code],
                              "content": {"application/json": {"schema": _ref("Error")}}}
    return out


def _get(summary: str, ok: dict, params=(), errors=(304, 429), **extra) -> dict:
    return {"get": {"summary": summary, "parameters": list(params),
                    "responses": {"200": ok, **_errors(*errors)}, **extra}}


def _paths() -> dict:
    return {
        "/api/v1/stats": _get(
            "Statistics for a period and an office (with the offices below it)",
            _ok(_ref("Stats"), "the figures, with their as-of time"),
            [_query("from", "first day, YYYY-MM-DD or dd/mm/yyyy (default 1 January)"),
             _query("to", "last day, included (default today); at most five years"),
             _query("office", "agency code of an office")],
            errors=(304, 400, 429)),
        "/api/v1/procedures": _get(
            "Published procedures, paged",
            _ok(_ref("ProcedurePage"), "one page"),
            [_query("q", "search words (diacritics and case ignored)"),
             _query("field", "lĩnh vực, exactly"), _query("level", "online level", LEVEL),
             _query("office", "agency code of a receiving office"),
             _query("page", "page number", {"type": "integer", "minimum": 1, "default": 1}),
             _query("per_page", "items per page",
                    {"type": "integer", "minimum": 1, "maximum": 100, "default": 50})],
            errors=(304, 400, 429)),
        "/api/v1/procedures/{code}": _get(
            "One published procedure with its current version's public data",
            _ok(_ref("ProcedureDetail"), "the procedure"),
            [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "national procedure code, e.g. 1.001193"}],
            errors=(304, 404, 429)),
        "/api/v1/dossiers/changes": _get(
            "Dossier status changes, oldest first, for other systems (API key with the "
            "scope dossiers:changes; an office-scoped key sees its offices and those below)",
            _ok(_ref("ChangesPage"), "one page of changes"),
            [_query("since", "an ISO 8601 time (events at or after it; UTC if no offset) or "
                             "the next_cursor of the previous page (events after it)"),
             _query("limit", "items per page", {"type": "integer", "minimum": 1,
                                                "maximum": MAX_LIMIT,
                                                "default": DEFAULT_LIMIT})],
            errors=(304, 400, 401, 403, 429), security=[{"bearer": ["dossiers:changes"]}]),
        "/api/v1/units/{province}/communes": _get(
            "Communes of a province (the filing form's commune list)",
            _ok(_obj({"province": {"type": "integer"},
                      "communes": {"type": "array", "items": _obj(
                          {"code": {"type": "integer"}, "name": {"type": "string"}})}}),
                "the communes"),
            [{"name": "province", "in": "path", "required": True,
              "schema": {"type": "integer"}, "description": "official province code"}],
            errors=(304, 404, 429)),
        "/api/v1/openapi.json": _get(
            "This document", _ok({"type": "object"}, "the OpenAPI 3.1 document")),
    }


@cache
def document() -> dict:
    """The whole OpenAPI 3.1 document (built once per process; it never changes at run time)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "District Portal open-data API",
            "version": "1.0.0",
            "description": "Statistics, the procedure catalogue and dossier status changes. "
                           "Every answer has a strong ETag (send If-None-Match for a 304) and "
                           "allows any origin for GET. Errors are {\"error\": {\"code\", "
                           "\"message\"}} with a Vietnamese message. See docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "webhooks": {"dossierEvent": {"post": {
            "summary": "One dossier event, signed: X-Portal-Signature: sha256=<hex "
                       "HMAC-SHA256(secret, X-Portal-Timestamp + '.' + raw body)>",
            "requestBody": {"content": {"application/json": {
                "schema": _ref("WebhookDelivery")}}},
            "responses": {"200": {"description": "any 2xx acknowledges; anything else is "
                                                 "retried with backoff"}}}}},
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "an API key issued by an admin: dp_<id>_<secret>"}},
        },
    }
