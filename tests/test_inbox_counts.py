"""The inbox's kept tab counts (services/dossiers/counts.py) always equal a full recount:
after concurrent status changes through the real app (with lost races; also while results are
prepared and issued: the leader's "waiting for issue"), after transfers,
assignments, drafts, and through `portal inbox-recount`; on both engines. And the name search
goes through its index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) and stays in sync."""

from __future__ import annotations

import io
import re
import threading
from datetime import timedelta

from sqlalchemy import func, select, text, update

from district_portal.db import get_db
from district_portal.models import Attachment, Dossier, InboxCount
from district_portal.models import DossierStatus as S
from district_portal.models.types import utcnow
from district_portal.services.dossiers import counts, filing, inbox, page_order
from district_portal.services.dossiers.workflow import perform
from district_portal.text import fold
from tests.factories import create_filed_dossier, procedure, staff, user
from tests.helpers import a_pdf, csrf_token, login, prepare, run_together

CHANGED = "Người khác vừa thay đổi hồ sơ này"


def _kept_and_recounted(app) -> tuple[dict, dict]:
    with app.app_context(), get_db(app).transaction(write=False) as session:
        return counts.kept_counts(session), dict(counts.full_count(session))


def _page_counts(client) -> dict[str, int]:
    page = client.get("/staff/inbox").get_data(as_text=True)
    return {key: int(n) for key, n in re.findall(r"tab=(\w+)[^>]*>[^<(]*\((\d+)\)", page)}


def _live_counts(session, office_id: int) -> dict[str, int]:
    """The tabs counted the old way, from the dossiers (the reference)."""
    now = utcnow()
    office = session.get(Dossier.receiving_office.property.mapper.class_, office_id)
    cutoff = inbox.due_soon_cutoff(session, office, now)
    rows = list(session.scalars(select(Dossier).where(
        (Dossier.receiving_office_id == office_id) | (Dossier.handling_office_id == office_id),
        Dossier.status != S.DRAFT)))
    working = set(inbox.WORKING)
    return {
        "new": sum(d.status == S.SUBMITTED for d in rows),
        "intake_overdue": sum(d.status == S.SUBMITTED and d.intake_due_at is not None
                              and d.intake_due_at < now for d in rows),
        "in_progress": sum(d.status in working for d in rows),
        "overdue": sum(d.status in working and d.due_at is not None and d.due_at < now
                       for d in rows),
        "due_soon": sum(d.status in working and d.due_at is not None and d.due_at <= cutoff
                        for d in rows),
        "all": len(rows),
    }


def test_concurrent_status_changes_through_the_app_keep_counts_equal_to_a_recount(fresh_app):
    app = fresh_app()
    with app.test_request_context(), get_db(app).transaction() as session:
        dossiers = [create_filed_dossier(session) for _ in range(8)]
        dossiers += [create_filed_dossier(session, status=S.ACCEPTED) for _ in range(2)]
        codes = [(d.code, d.version, d.status) for d in dossiers]
        clerks = [user(session, "clerk@demo.test"),
                  staff(session, "clerk", office="000.00.04.T25", email="clerk2@demo.test")]
        office_id = dossiers[0].receiving_office_id
    kept, recounted = _kept_and_recounted(app)
    assert kept == recounted and sum(kept.values()) == 10

    # Two clerks act on every dossier at once: one accepts (or hands the accepted ones to
    # an officer), the other refuses; for each dossier one wins and the other gets a 409.
    jobs = []
    for code, version, status in codes:
        for clerk, action in zip(clerks, ("accept", "refuse"), strict=True):
            if status == S.ACCEPTED:
                action = "assign" if action == "accept" else "request_supplement"
            jobs.append((clerk, code, version, action))
    clients = {}
    for clerk in clerks:
        clients[clerk.email] = app.test_client()
        login(clients[clerk.email], clerk)
    answers: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs), timeout=60)
    officer_id = _officer_public_id(app)

    def act(clerk, code, version, action):
        try:
            client = app.test_client()
            login(client, clerk)
            data = {f"{action}-csrf_token": csrf_token(client, f"/staff/dossiers/{code}"),
                    f"{action}-version": str(version), f"{action}-reason": "Thiếu giấy tờ",
                    f"{action}-officer": officer_id}
            barrier.wait()
            response = client.post(f"/staff/dossiers/{code}/{action}", data=data)
            answers.append(response.status_code)
        except BaseException as exc:  # reported below
            errors.append(exc)

    run_together(act, jobs, 120)
    assert not errors, errors
    assert len(answers) == len(jobs)
    assert set(answers) <= {303, 409}, answers
    assert answers.count(303) >= len(codes) - 1  # each dossier changed (races lost: 409)

    kept, recounted = _kept_and_recounted(app)
    assert kept == recounted
    with app.app_context(), get_db(app).transaction(write=False) as session:
        statuses = set(session.scalars(select(Dossier.status)))
        assert {S.ACCEPTED, S.NOT_ACCEPTED} & statuses  # the races changed something
        live = _live_counts(session, office_id)
    page = _page_counts(clients["clerk@demo.test"])
    assert {k: page[k] for k in live} == live


def _waiting_for_issue(session, office_id: int) -> int:
    """The leader's tab counted the old way (the reference): dossiers being processed that
    the office handles and that have a prepared result (a result attachment)."""
    return session.scalar(select(func.count()).select_from(Dossier).where(
        Dossier.handling_office_id == office_id,
        Dossier.status.in_((S.ACCEPTED, S.IN_PROGRESS)),
        Dossier.attachments.any(Attachment.kind == "result")))


def test_results_prepared_and_issued_during_status_changes_keep_the_leaders_count(fresh_app):
    app = fresh_app()
    with app.test_request_context(), get_db(app).transaction() as session:
        dossiers = [create_filed_dossier(session, status=S.IN_PROGRESS) for _ in range(6)]
        officer, leader = user(session, "officer@demo.test"), user(session, "leader@demo.test")
        office_id = dossiers[0].handling_office_id
    scan = a_pdf()
    client = app.test_client()
    login(client, officer)
    for d in dossiers[4:]:  # two results already waiting for the leader
        assert prepare(client, d, way="scan",
                       scan=(io.BytesIO(scan), "kq.pdf", "application/pdf")).status_code == 303
    with app.app_context(), get_db(app).transaction(write=False) as session:
        versions = {d.code: session.get(Dossier, d.id).version for d in dossiers}
        assert _waiting_for_issue(session, office_id) == 2
    kept, recounted = _kept_and_recounted(app)
    assert kept == recounted

    # At once, on each dossier: the officer asks for a supplement (it leaves processing),
    # and either the officer prepares its result or the leader issues the one prepared.
    jobs = [(officer, d.code, "request_supplement") for d in dossiers]
    jobs += [(officer, d.code, "prepare") for d in dossiers[:4]]
    jobs += [(leader, d.code, "issue") for d in dossiers[4:]]
    answers: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs), timeout=60)

    def act(person, code, action):
        try:
            client = app.test_client()
            login(client, person)
            page = f"/staff/dossiers/{code}" + ("" if action == "request_supplement" else
                                                 "/result")
            token = csrf_token(client, page)
            if action == "request_supplement":
                url, data = f"{page}/{action}", {
                    f"{action}-csrf_token": token, f"{action}-version": str(versions[code]),
                    f"{action}-reason": "Thiếu giấy tờ"}
            elif action == "prepare":
                url, data = page, {"csrf_token": token, "way": "scan",
                                   "scan": (io.BytesIO(scan), "kq.pdf", "application/pdf")}
            else:
                url, data = f"{page}/issue", {"csrf_token": token,
                                              "version": str(versions[code])}
            barrier.wait()
            answers.append(client.post(url, data=data, content_type="multipart/form-data")
                           .status_code)
        except BaseException as exc:  # reported below
            errors.append(exc)

    run_together(act, jobs, 180)
    assert not errors, errors
    assert len(answers) == len(jobs)
    assert 303 in answers and set(answers) <= {303, 400, 409}, answers

    kept, recounted = _kept_and_recounted(app)
    assert kept == recounted
    with app.app_context(), get_db(app).transaction(write=False) as session:
        expected = _waiting_for_issue(session, office_id)
    leader_client = app.test_client()
    login(leader_client, leader)
    assert _page_counts(leader_client)["to_issue"] == expected


def test_the_leaders_tab_is_read_from_the_partial_index_of_prepared_results(app, client, sess):
    from sqlalchemy import event

    create_filed_dossier(sess, status=S.IN_PROGRESS)
    sess.commit()
    login(client, user(sess, "leader@demo.test"))
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, params, context, executemany):
        if "verification_token IS NOT NULL" in statement and "ORDER BY" in statement:
            seen.append((statement, params))

    engine = get_db(app).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/staff/inbox?tab=to_issue").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(seen) == 1  # the page's rows in one query (few: prepared results)
    statement, params = seen[0]
    if sess.get_bind().dialect.name == "sqlite":
        plan = " ".join(str(r[-1]) for r in sess.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, params))
        used = set(re.findall(r"USING (?:COVERING )?INDEX (\w+)", plan))
        assert used == {"ix_dossier_to_issue"} and "SCAN dossier" not in plan, plan
    else:
        assert sess.scalar(text("SELECT count(*) FROM pg_indexes WHERE "
                                "indexname = 'ix_dossier_to_issue'")) == 1


def _officer_public_id(app) -> str:
    with app.app_context(), get_db(app).transaction(write=False) as session:
        return user(session, "officer@demo.test").public_id


def test_transfer_assignment_due_times_drafts_and_deletion_keep_counts_exact(fresh_app):
    app = fresh_app()
    with app.test_request_context(), get_db(app).transaction() as session:
        a = create_filed_dossier(session, status=S.IN_PROGRESS)  # assigned to the officer
        b = create_filed_dossier(session, status=S.ACCEPTED)
        create_filed_dossier(session, status=S.RETURNED)
        draft = filing.start_draft(session, user(session, "resident@demo.test"),
                                   procedure(session))
        session.flush()
        b.due_at = utcnow() - timedelta(days=3)  # e.g. a correction of the due time
        a.assignee_id = None
        b.handling_office_id = session.scalar(
            select(Dossier.receiving_office_id).where(Dossier.id == a.id)) + 0
    kept, recounted = _kept_and_recounted(app)
    assert kept == recounted
    with app.test_request_context(), get_db(app).transaction() as session:
        session.delete(session.get(Dossier, draft.id))
        # A filed dossier is never deleted by the app; if one is, its count goes too.
        for child in ("dossier_event", "attachment", "notification"):
            session.execute(text(f"DELETE FROM {child} WHERE dossier_id = :i"), {"i": a.id})
        session.delete(session.get(Dossier, a.id))
    kept, recounted = _kept_and_recounted(app)
    assert kept == recounted and sum(kept.values()) == 2


def test_the_officer_tab_counts_their_own_dossiers_from_the_kept_counts(client, sess):
    create_filed_dossier(sess, status=S.IN_PROGRESS)  # assigned to officer@demo.test
    create_filed_dossier(sess, status=S.ACCEPTED)
    sess.commit()
    login(client, user(sess, "officer@demo.test"))
    assert _page_counts(client)["mine"] == 1
    assert counts.kept_counts(sess) == dict(counts.full_count(sess))


def test_inbox_recount_rebuilds_a_damaged_table(fresh_app):
    app = fresh_app()
    with app.test_request_context(), get_db(app).transaction() as session:
        create_filed_dossier(session)
        create_filed_dossier(session, status=S.DONE)
    with app.app_context(), get_db(app).transaction() as session:
        session.execute(update(InboxCount).values(n=InboxCount.n + 41))
    kept, recounted = _kept_and_recounted(app)
    assert kept != recounted
    result = app.test_cli_runner().invoke(args=["portal", "inbox-recount"])
    assert result.exit_code == 0, result.output
    assert "2 dossiers counted" in result.output
    kept, recounted = _kept_and_recounted(app)
    assert kept == recounted and sum(kept.values()) == 2


def test_name_search_uses_the_engine_index_and_follows_renames(client, sess):
    d = create_filed_dossier(sess, name="Trần Thị Bình")
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))

    def found(q):
        return d.code in client.get("/staff/inbox", query_string={"tab": "all", "q": q}) \
            .get_data(as_text=True)

    assert found("tran thi binh") and found("BÌNH") and found("thi b")
    d.applicant = {**d.applicant, "name": "Phạm Thị Hoa"}
    d.applicant_name_search = fold("Phạm Thị Hoa")
    sess.commit()
    assert found("pham hoa") and not found("binh")
    if sess.get_bind().dialect.name == "sqlite":
        rows = sess.execute(text("SELECT rowid FROM dossier_name_fts "
                                 "WHERE applicant_name_search LIKE '%hoa%'")).scalars().all()
        assert d.id in rows
        plan = " ".join(str(r[-1]) for r in sess.execute(text(
            "EXPLAIN QUERY PLAN SELECT rowid FROM dossier_name_fts "
            "WHERE applicant_name_search LIKE '%hoa%'")))
        assert "VIRTUAL TABLE INDEX" in plan
    else:
        assert sess.scalar(text("SELECT count(*) FROM pg_indexes WHERE "
                                "indexname = 'ix_dossier_name_trgm'")) == 1
        sess.execute(text("SET LOCAL enable_seqscan = off"))
        # The inbox's btree holds the name too (0019_inbox_walk); on a table this small the
        # planner may read it whole instead. Dropped in this test's rolled-back transaction,
        # so the plan shows whether pg_trgm answers the LIKE.
        sess.execute(text("DROP INDEX ix_dossier_office_status_due"))
        plan = " ".join(r[0] for r in sess.execute(text(
            "EXPLAIN SELECT id FROM dossier WHERE applicant_name_search LIKE '%hoa%'")))
        assert "ix_dossier_name_trgm" in plan


def test_a_perform_in_a_rolled_back_transaction_leaves_no_count_behind(fresh_app):
    app = fresh_app()
    with app.test_request_context(), get_db(app).transaction() as session:
        d = create_filed_dossier(session)
        dossier_id = d.id
    with app.test_request_context():
        session = get_db(app).writer()
        try:
            dossier = session.get(Dossier, dossier_id)
            perform(session, dossier, "accept", user(session, "clerk@demo.test"))
            session.flush()
            assert counts.kept_counts(session) == dict(counts.full_count(session))
            session.rollback()
        finally:
            session.close()
    kept, recounted = _kept_and_recounted(app)
    assert kept == recounted and list(kept)[0][2] == "submitted"


def test_a_search_finds_the_same_dossiers_read_at_once_or_walked_in_due_order(
        client, sess, monkeypatch):
    names = ["Nguyễn Văn An 12", "Nguyễn Văn An 7", "Trần Văn An 412", "Lê Thị Hoa 12"]
    made = [create_filed_dossier(sess, name=n) for n in names]
    create_filed_dossier(sess, name="Nguyễn Văn An 120", status=S.ACCEPTED)
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))

    def codes_found(q):
        page = client.get("/staff/inbox", query_string={"tab": "all", "q": q})
        return sorted(set(re.findall(r"\d{3}\.\d{2}\.\d{2}\.T25-\d{6}-\d{4}",
                                     page.get_data(as_text=True))))

    queries = ["nguyen van an 12", "van an", "an 12", "HOA", "xyz"]
    read_at_once = {q: codes_found(q) for q in queries}
    monkeypatch.setattr(inbox, "RARE", 0)  # no name is rare: every one is walked
    assert {q: codes_found(q) for q in queries} == read_at_once
    monkeypatch.setattr(page_order, "WALK_ROWS", 2)  # every walk ends early: read at once again
    assert {q: codes_found(q) for q in queries} == read_at_once
    assert made[0].code in read_at_once["nguyen van an 12"]
    assert made[1].code not in read_at_once["nguyen van an 12"]
    assert len(read_at_once["nguyen van an 12"]) == 2  # "… 12" and "… 120"
    assert read_at_once["xyz"] == []


def test_a_walked_name_search_pages_through_the_same_dossiers_in_the_same_order(
        sess, monkeypatch, app):
    """Page by page (two a page, through the cursor), a walked search gives the dossiers
    and the order that the name index gives: dated ones by due time, then the undated."""
    for i, status in enumerate([S.SUBMITTED, S.ACCEPTED, S.SUBMITTED, S.ACCEPTED,
                                S.IN_PROGRESS, S.SUBMITTED, S.DONE]):
        create_filed_dossier(sess, name=f"Trần Thị Hoa {i}", status=status)
    create_filed_dossier(sess, name="Lê Văn Nam", status=S.ACCEPTED)
    sess.commit()
    clerk = user(sess, "clerk@demo.test")

    def pages():
        seen, cursor = [], ""
        with app.test_request_context():
            while True:
                page = inbox.inbox_page(sess, {clerk.office_id}, clerk.office, inbox.InboxQuery(
                    tab="all", q="tran thi", cursor=cursor), per_page=2, user=clerk)
                seen.append([d.applicant_name_search for d in page.rows])
                if not page.next_cursor:
                    return seen
                cursor = page.next_cursor

    read_at_once = pages()
    monkeypatch.setattr(inbox, "RARE", 0)
    walked = pages()
    assert walked == read_at_once
    assert len(sum(walked, [])) == 7 and all(len(p) == 2 for p in walked[:-1])
    assert "le van nam" not in sum(walked, [])
