"""Statistics as JSON-ready data (Decision 766/QĐ-TTg groups) and as CSV tables."""

from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _rate(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def figures_dict(f) -> dict:
    return {
        "received": f.received, "received_online": f.online, "received_counter": f.counter,
        "online_share": _rate(f.online_share), "refused": f.refused, "withdrawn": f.withdrawn,
        "waiting_intake": f.waiting_intake, "intake_overdue": f.intake_overdue,
        "intake_late": f.intake_late, "supplement_requested": f.supplement_requested,
        "resolved": f.resolved, "resolved_on_time": f.on_time, "resolved_late": f.late,
        "extended": f.extended, "on_time_rate": _rate(f.on_time_rate), "open": f.open,
        "open_not_due": f.open_not_due, "open_overdue": f.open_overdue, "paused": f.paused,
        "average_processing_working_days": f.average_processing_days,
    }


def stats_dict(st) -> dict:
    """The figures grouped as the national service-quality index (Decision 766/QĐ-TTg, 2022):
    transparency, progress, online service, online payment, satisfaction."""
    t, lv = st.totals, st.levels
    (pay_online, amount_online), (pay_desk, amount_desk) = st.payments["online"], \
        st.payments["desk"]
    return {
        "as_of": st.as_of.isoformat(),
        "period": st.period.to_dict(),
        "office": {"agency_code": st.office_code, "name": st.office_name}
        if st.office_code else None,
        "transparency": {
            "procedures_published": lv.total,
            "procedures_by_level": lv.to_dict(),
            "level_labels": {"full": "toàn trình (mức độ 4)", "partial": "một phần (mức độ 3)",
                             "none": "trực tiếp"},
        },
        "progress": {k: v for k, v in figures_dict(t).items() if k not in (
            "received", "received_online", "received_counter", "online_share")},
        "online_service": {
            "procedures_full": lv.full, "procedures_partial": lv.partial,
            "full_online_share": _rate(lv.full_share), "full_online_target": st.target,
            "full_online_needed": st.full_online_needed,
            "received": t.received, "received_online": t.online,
            "received_counter": t.counter, "online_share": _rate(t.online_share),
        },
        "online_payment": {
            "online": {"count": pay_online, "amount": amount_online},
            "desk": {"count": pay_desk, "amount": amount_desk},
            "online_share": _rate(st.payment_online_share),
        },
        "satisfaction": {
            "ratings": {str(k): v for k, v in sorted(st.ratings.items())},
            "count": st.rating_count, "average": st.rating_average,
        },
        "by_office": [{"agency_code": r.agency_code, "name": r.name, **figures_dict(r.figures)}
                      for r in st.by_office],
        "by_procedure": [{"code": r.code, "name": r.name, "online_level": r.online_level,
                          **figures_dict(r.figures)} for r in st.by_procedure],
    }


def safe_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ tab or CR
    gets a leading apostrophe. Numbers are written as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(header: list, rows: list[list]) -> bytes:
    """UTF-8 with a byte-order mark (so spreadsheet programs read Vietnamese right), CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(str(h)) for h in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


__all__ = ["figures_dict", "safe_cell", "stats_dict", "to_csv", "_l"]
