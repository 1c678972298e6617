"""Officers and leaders have their own queues (issue 8, item 16): an officer's inbox opens on
"Được giao cho tôi", a leader's on "Chờ ban hành" (and the leader is emailed when a result
arrives there), and the worklist shows my dossiers due within three working days."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select

from district_portal.models import DossierStatus as S
from district_portal.models import Notification
from district_portal.models.types import utcnow
from district_portal.services.calendar.days import calendar_for
from district_portal.services.dossiers.workflow import perform
from tests.factories import create_filed_dossier, staff, user
from tests.helpers import a_pdf, login, prepare


def _current_tab(html: str) -> str:
    match = re.search(r'tab=(\w+)[^>]*aria-current="page"', html)
    assert match, "no current tab"
    return match.group(1)


def _tabs(html: str) -> set[str]:
    return set(re.findall(r'href="/staff/inbox\?tab=(\w+)', html))


def test_an_officers_inbox_opens_on_the_dossiers_assigned_to_them(client, sess):
    mine = create_filed_dossier(sess, status=S.IN_PROGRESS)  # assigned to officer@demo.test
    other_officer = staff(sess, "officer", office="000.00.04.T25")
    theirs = create_filed_dossier(sess, status=S.ACCEPTED)
    perform(sess, theirs, "assign", user(sess, "clerk@demo.test"), officer=other_officer)
    unassigned = create_filed_dossier(sess, status=S.ACCEPTED)
    sess.commit()
    login(client, user(sess, "officer@demo.test"))
    html = client.get("/staff/inbox").get_data(as_text=True)
    assert _current_tab(html) == "mine"
    assert "Được giao cho tôi (1)" in html
    assert mine.code in html
    assert theirs.code not in html and unassigned.code not in html
    # No leader's queue for an officer.
    assert "to_issue" not in _tabs(html)


def test_a_clerk_still_opens_on_new_dossiers_and_has_no_personal_tabs(client, sess):
    login(client, user(sess, "clerk@demo.test"))
    html = client.get("/staff/inbox").get_data(as_text=True)
    assert _current_tab(html) == "new"
    assert not {"mine", "to_issue"} & _tabs(html)
    # Asking for a personal tab one does not have falls back to one's own first tab.
    assert _current_tab(client.get("/staff/inbox?tab=to_issue").get_data(as_text=True)) == "new"


def _leader_mail(sess, dossier) -> list[Notification]:
    leader = user(sess, "leader@demo.test")
    return list(sess.scalars(select(Notification).where(
        Notification.dossier_id == dossier.id, Notification.recipient == leader.email,
        Notification.channel == "email")))


def test_a_prepared_result_waits_in_the_leaders_queue_and_the_leader_is_emailed(app, sess):
    waiting = create_filed_dossier(sess, status=S.IN_PROGRESS)
    not_yet = create_filed_dossier(sess, status=S.IN_PROGRESS)
    sess.commit()
    officer = app.test_client()
    login(officer, user(sess, "officer@demo.test"))
    scan = {"way": "scan", "scan": (io.BytesIO(a_pdf()), "ban-quet.pdf", "application/pdf")}
    assert prepare(officer, waiting, **scan).status_code == 303
    sess.expire_all()
    mails = _leader_mail(sess, waiting)
    assert len(mails) == 1
    assert mails[0].subject == "Kết quả chờ ban hành"
    assert waiting.code in mails[0].text and "chờ ký ban hành" in mails[0].text
    assert f"/staff/dossiers/{waiting.code}/result" in mails[0].text
    # Preparing it again (a corrected scan) does not email again: it was already waiting.
    scan2 = {"way": "scan", "scan": (io.BytesIO(a_pdf("Bản sửa")), "b.pdf", "application/pdf")}
    assert prepare(officer, waiting, **scan2).status_code == 303
    sess.expire_all()
    assert len(_leader_mail(sess, waiting)) == 1
    assert not _leader_mail(sess, not_yet)

    leader = app.test_client()
    login(leader, user(sess, "leader@demo.test"))
    html = leader.get("/staff/inbox").get_data(as_text=True)
    assert _current_tab(html) == "to_issue"
    assert "Chờ ban hành (1)" in html
    assert waiting.code in html and not_yet.code not in html
    assert "mine" not in _tabs(html)


def test_the_worklist_shows_my_dossiers_due_within_three_working_days(client, sess):
    now = utcnow()
    soon = create_filed_dossier(sess, status=S.IN_PROGRESS)
    later = create_filed_dossier(sess, status=S.IN_PROGRESS)
    cal = calendar_for(sess, soon.handling_office)
    soon.due_at = cal.add_working_days(now, 2)
    later.due_at = cal.add_working_days(now, 4) + timedelta(hours=1)
    someone_elses = create_filed_dossier(sess, status=S.ACCEPTED)
    other_officer = staff(sess, "officer", office="000.00.04.T25")
    perform(sess, someone_elses, "assign", user(sess, "clerk@demo.test"), officer=other_officer)
    someone_elses.due_at = cal.add_working_days(now, 1)
    sess.commit()
    login(client, user(sess, "officer@demo.test"))
    html = client.get("/staff/worklist").get_data(as_text=True)
    assert "Được giao cho tôi, đến hạn trong ba ngày làm việc tới (1)" in html
    section = html.split("Được giao cho tôi, đến hạn")[1].split("<h2>")[0]
    assert soon.code in section
    assert later.code not in section and someone_elses.code not in section
    # A clerk's worklist has no such section.
    login(client, user(sess, "clerk@demo.test"))
    assert "Được giao cho tôi" not in client.get("/staff/worklist").get_data(as_text=True)
