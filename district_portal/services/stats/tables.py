"""The tables of the statistics page, one definition for the page, its charts and its CSV
export, so what is downloaded is what is shown."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from district_portal.services.stats.charts import bar_chart

LEVEL_ROWS = (("full", _l("Fully online (level 4)"), "good"),
              ("partial", _l("Partly online (level 3)"), "warn"),
              ("none", _l("At the office only"), "none"))


@dataclass
class Column:
    title: object
    kind: str = "int"  # text, int, pct (0..1), days, money


@dataclass
class Table:
    name: str
    title: object
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    chart: Markup | None = None


def _num(rows):
    return [(str(label), value, tone) for label, value, tone in rows]


def levels_table(st) -> Table:
    lv = st.levels
    rows = [(label, getattr(lv, key), tone) for key, label, tone in LEVEL_ROWS]
    return Table("levels", _l("Procedures by online level"),
                 [Column(_l("Online level"), "text"), Column(_l("Procedures"))],
                 [[str(label), value] for label, value, _ in rows], bar_chart(_num(rows)))


def channels_table(st) -> Table:
    t = st.totals
    rows = [(_l("Filed online"), t.online, "good"), (_l("At the desk"), t.counter, "plain")]
    return Table("channels", _l("Dossiers received by channel"),
                 [Column(_l("Channel"), "text"), Column(_l("Dossiers"))],
                 [[str(label), v] for label, v, _ in rows], bar_chart(_num(rows)))


def progress_table(st) -> Table:
    t = st.totals
    rows = [(_l("Resolved on time"), t.on_time, "good"), (_l("Resolved late"), t.late, "bad"),
            (_l("Being processed, not yet due"), t.open_not_due, "plain"),
            (_l("Being processed, overdue"), t.open_overdue, "bad"),
            (_l("Waiting to be received"), t.waiting_intake, "plain"),
            (_l("Not received in time (intake overdue)"), t.intake_overdue, "bad")]
    return Table("progress", _l("Progress of the dossiers"),
                 [Column(_l("Dossiers"), "text"), Column(_l("Number"))],
                 [[str(label), v] for label, v, _ in rows], bar_chart(_num(rows)))


def details_table(st) -> Table:
    t = st.totals
    rows = [[_l("On-time rate of results"), t.on_time_rate, "pct"],
            [_l("Average processing time (working days)"), t.average_processing_days, "days"],
            [_l("Deadlines extended (with an apology)"), t.extended, "int"],
            [_l("Received after the intake deadline"), t.intake_late, "int"],
            [_l("Dossiers asked for a supplement"), t.supplement_requested, "int"],
            [_l("Refused at intake"), t.refused, "int"],
            [_l("Withdrawn by the applicant"), t.withdrawn, "int"]]
    return Table("details", _l("More about the progress"),
                 [Column(_l("Figure"), "text"), Column(_l("Value"), "mixed")],
                 [[str(label), value, kind] for label, value, kind in rows])


def payments_table(st) -> Table:
    (n_on, amt_on), (n_desk, amt_desk) = st.payments["online"], st.payments["desk"]
    rows = [(_l("Paid online"), n_on, "good"), (_l("Paid at the desk"), n_desk, "plain")]
    return Table("payments", _l("Fees paid"),
                 [Column(_l("Way"), "text"), Column(_l("Payments")), Column(_l("Amount"),
                                                                            "money")],
                 [[str(rows[0][0]), n_on, amt_on], [str(rows[1][0]), n_desk, amt_desk]],
                 bar_chart(_num(rows)))


def satisfaction_table(st) -> Table:
    rows = [(str(_l("%(n)s of 5", n=k)), st.ratings[k], "good" if k >= 4 else
             "warn" if k == 3 else "bad") for k in range(5, 0, -1)]
    return Table("satisfaction", _l("Satisfaction of applicants"),
                 [Column(_l("Rating"), "text"), Column(_l("Ratings"))],
                 [[label, v] for label, v, _ in rows], bar_chart(rows))


FIGURE_COLUMNS = [Column(_l("Received")), Column(_l("Online"), "int"),
                  Column(_l("Resolved")), Column(_l("On time")), Column(_l("Late")),
                  Column(_l("Overdue now")), Column(_l("On-time rate"), "pct"),
                  Column(_l("Working days"), "days")]


def _figure_cells(f) -> list:
    return [f.received, f.online, f.resolved, f.on_time, f.late, f.open_overdue,
            f.on_time_rate, f.average_processing_days]


def offices_table(st) -> Table:
    return Table("offices", _l("By office"), [Column(_l("Office"), "text"), *FIGURE_COLUMNS],
                 [[r.name, *_figure_cells(r.figures)] for r in st.by_office])


def procedures_table(st, limit: int | None = None) -> Table:
    rows = st.by_procedure[:limit] if limit else st.by_procedure
    return Table("procedures", _l("By procedure"),
                 [Column(_l("Code"), "text"), Column(_l("Procedure"), "text"),
                  *FIGURE_COLUMNS],
                 [[r.code, r.name, *_figure_cells(r.figures)] for r in rows])


BUILDERS = {"levels": levels_table, "channels": channels_table, "progress": progress_table,
            "details": details_table, "payments": payments_table,
            "satisfaction": satisfaction_table, "offices": offices_table,
            "procedures": procedures_table}


def csv_rows(table: Table) -> tuple[list[str], list[list]]:
    """The header and rows of a table for a CSV file (the 'mixed' column's kind dropped)."""
    header = [str(c.title) for c in table.columns]
    return header, [row[:len(header)] for row in table.rows]
