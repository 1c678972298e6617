"""The admin console's foundation (issue 13): the append-only audit log (refused by the ORM
and by database triggers on both engines), its search and CSV, and who administers what."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from district_portal import access
from district_portal.models import AuditEntry, AuditLogIsAppendOnly
from district_portal.services.admin import audit
from tests.factories import OTHER_OFFICE, office, procedure, staff, user
from tests.helpers import login


def _entry(session, **kw) -> AuditEntry:
    admin = user(session, "admin@demo.test")
    values = {"action": "office.edit", "target_kind": "office", "target_ref": "000.00.04.T25",
              "before": {"phone": "0210 1"}, "after": {"phone": "0210 2"},
              "office": office(session)}
    values.update(kw)
    entry = audit.record(session, admin, values.pop("action"), values.pop("target_kind"),
                         values.pop("target_ref"), **values)
    session.flush()
    return entry


def test_an_entry_keeps_who_when_what_before_and_after(session):
    entry = _entry(session)
    assert entry.actor_name.startswith("Phạm Quản Trị <admin@demo.test>")
    assert entry.at is not None and entry.public_id
    assert audit.changed_fields(entry.before, entry.after) == ["phone"]


def test_the_orm_refuses_to_change_or_delete_an_entry(session):
    entry = _entry(session)
    entry.note = "sửa lại"
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
    session.rollback()


def test_the_orm_refuses_to_delete_an_entry(session):
    entry = _entry(session)
    session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET note = 'x' WHERE id = :id",
    "DELETE FROM audit_entry WHERE id = :id",
])
def test_the_database_refuses_to_change_or_delete_an_entry(session, statement):
    """Even SQL that goes around the ORM (a shell, a script) cannot rewrite history."""
    entry_id = _entry(session).id
    with pytest.raises(DBAPIError) as raised:
        with session.begin_nested():
            session.execute(text(statement), {"id": entry_id})
    assert "append-only" in str(raised.value)
    assert session.get(AuditEntry, entry_id) is not None


def test_search_filters_and_scopes_to_the_admins_offices(session):
    _entry(session)
    other = office(session, OTHER_OFFICE)
    _entry(session, action="user.create", target_kind="user", target_ref="x@demo.test",
           office=other, before=None, after={"roles": ["clerk"]})
    mine = frozenset({office(session).id})
    rows, more = audit.search(session, audit.AuditFilter(office_ids=mine))
    assert not more and {r.action for r in rows} >= {"office.edit"}
    # The other office's entry is in scope only through the actor (an admin of office X).
    rows, _ = audit.search(session, audit.AuditFilter(action="user.create"))
    assert [r.target_ref for r in rows][:1] == ["x@demo.test"]
    rows, _ = audit.search(session, audit.AuditFilter(target="X@DEMO"))
    assert rows and rows[0].target_ref == "x@demo.test"
    rows, _ = audit.search(session, audit.AuditFilter(actor="nobody"))
    assert rows == []


def test_the_csv_cannot_smuggle_a_formula_into_a_spreadsheet(session):
    _entry(session, target_ref="=HYPERLINK(\"http://evil\")", note="+1")
    out = audit.to_csv(session, audit.AuditFilter(target="HYPERLINK"))
    assert out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
    assert rows[0][0] == "at" and len(rows) == 2
    assert rows[1][4].startswith("'=") and rows[1][9] == "'+1"


def test_who_administers_what(session):
    commune_admin = user(session, "admin@demo.test")
    province_admin = user(session, "admin.tinh@demo.test")
    clerk = user(session, "clerk@demo.test")
    home, other = office(session), office(session, OTHER_OFFICE)
    assert access.can_administer(commune_admin) and not access.can_administer(clerk)
    assert access.can_administer_office(commune_admin, home)
    assert not access.can_administer_office(commune_admin, other)
    assert access.can_administer_office(province_admin, other)
    assert not access.is_province_admin(commune_admin) and access.is_province_admin(province_admin)
    assert access.can_edit_catalogue(province_admin)
    assert not access.can_edit_catalogue(commune_admin)
    proc = procedure(session)
    assert access.can_edit_procedure(province_admin, proc)
    assert not access.can_edit_procedure(commune_admin, proc)
    other_admin = staff(session, "admin", office=OTHER_OFFICE)
    assert not access.can_administer_office(other_admin, home)


def test_the_console_lists_the_sections_an_admin_may_use(app, session, client):
    login(client, user(session, "admin.tinh@demo.test"))
    page = client.get("/admin/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    clerk_client = app.test_client()
    login(clerk_client, user(session, "clerk@demo.test"))
    assert clerk_client.get("/admin/").status_code == 404


def test_a_draft_becomes_a_new_version_only_when_valid(session):
    from district_portal.services.admin import procedures as admin_procedures
    from district_portal.services.admin.procedures import ProcedureEditError

    admin = user(session, "admin.tinh@demo.test")
    proc = procedure(session)
    before = proc.current_version
    data = admin_procedures.draft_data(session, proc)
    data["fields"].append(dict(data["fields"][0]))  # a duplicate key: refused
    admin_procedures.store_draft(session, admin, proc, data)
    with pytest.raises(ProcedureEditError) as refused:
        admin_procedures.save_draft(session, admin, proc)
    assert any("more than once" in e for e in refused.value.errors)
    assert proc.current_version is before and admin_procedures.draft_row(session, proc)
    data["fields"].pop()
    data["name"] = data["name"] + " (sửa)"
    admin_procedures.store_draft(session, admin, proc, data)
    version = admin_procedures.save_draft(session, admin, proc)
    assert version.number == before.number + 1 and proc.name.endswith("(sửa)")
    assert admin_procedures.draft_row(session, proc) is None
    assert before.data["name"] != version.data["name"]  # the old version is untouched
    rows, _ = audit.search(session, audit.AuditFilter(action="procedure.edit"))
    assert rows[0].target_ref == proc.code and rows[0].after["name"].endswith("(sửa)")
