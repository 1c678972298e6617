"""The public statistics page (/stats) and its CSV tables: every figure computed from the
catalogue and the dossiers, with its "as of" time."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from district_portal import access, db
from district_portal.forms.stats import StatsFilterForm
from district_portal.models.types import utcnow
from district_portal.services import stats
from district_portal.services.stats import readiness as stats_readiness
from district_portal.services.stats import tables
from district_portal.services.stats.cache import cached_compute
from district_portal.services.stats.export import to_csv
from district_portal.services.stats.level_changes import level_changes
from district_portal.text import format_money
from district_portal.views.staff import bp as staff_bp

bp = Blueprint("stats", __name__)
PROCEDURE_ROWS = 10  # on the page; the CSV has them all
DECISION = _l("Decision 766/QĐ-TTg of 2022")


@bp.app_template_filter("stat")
def stat_text(value, kind: str = "int") -> str:
    """A figure in Vietnamese notation: 15.000, 93,3%, 4,25, 15.000 đồng; — when undefined."""
    if value is None:
        return "—"
    if kind == "money":
        return format_money(value)
    if kind == "pct":
        text = f"{value * 100:.1f}".removesuffix(".0")
        return text.replace(".", ",") + "%"
    if kind == "days":
        return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return str(value)


def _filters(form: StatsFilterForm):
    return stats.parse_filters(db.session(), form.start.data, form.end.data, form.office.data)


def _figures(flt) -> stats.Stats:
    """The statistics for the filters, from the cache when nothing changed since."""
    return cached_compute(db.session(), flt.period, flt.office, writer=db.get_db().transaction,
                          ttl_seconds=current_app.config["STATS_CACHE_SECONDS"],
                          grace_seconds=current_app.config["STATS_CACHE_GRACE_SECONDS"])


@bp.get("/stats")
def index():
    form = StatsFilterForm(request.args)
    session = db.session()
    try:
        flt = _filters(form)
    except stats.StatsError as exc:
        # What was typed stays in the form, next to the message.
        return render_template("stats/index.html", form=form, error=exc, st=None,
                               offices=stats.offices(session)), 400
    st = _figures(flt)
    scope = stats.office_subtree(session, flt.office) if flt.office is not None else None
    return render_template(
        "stats/index.html", form=form, error=None, st=st, offices=stats.offices(session),
        level_changes=level_changes(session, flt.period, scope),
        level_names={key: label for key, label, _tone in tables.LEVEL_ROWS},
        tables={name: build(st) for name, build in tables.BUILDERS.items()
                if name != "procedures"},
        procedures=tables.procedures_table(st, PROCEDURE_ROWS),
        more_procedures=len(st.by_procedure) > PROCEDURE_ROWS, decision=DECISION)


@bp.get("/stats.csv")
def csv():
    name = request.args.get("table", "")
    build = tables.BUILDERS.get(name)
    if build is None:
        abort(404)
    form = StatsFilterForm(request.args)
    try:
        flt = _filters(form)
    except stats.StatsError as exc:
        return render_template("error.html", code=400, title=exc.message,
                               message=exc.message), 400
    st = _figures(flt)
    header, rows = tables.csv_rows(build(st))
    filename = f"thong-ke-{name}-{st.period.start:%Y%m%d}-{st.period.end:%Y%m%d}.csv"
    response = Response(to_csv(header, rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# The readiness page is a staff page: it lives on the staff blueprint, so it gets the staff
# login, the idle timeout and the staff layout like every other staff page.
@staff_bp.get("/stats/readiness")
def readiness():
    if not access.can_view_readiness(current_user):
        abort(404)
    report = stats_readiness.report(db.session(), access.readiness_scope(current_user))
    return render_template("stats/readiness.html", report=report, now=utcnow())


@bp.app_context_processor
def _readiness_link():
    return {"can_view_readiness": access.can_view_readiness}
