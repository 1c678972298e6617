"""Files and abuse limits (issue #11 items 6 and 7): removing a draft's file removes the stored
file when nothing else names it; drafts per resident and files per dossier are limited; in a
later supplement round a file the office already received cannot be removed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from district_portal.db import get_db
from district_portal.models import DossierStatus as S
from district_portal.services import storage
from district_portal.services.dossiers import filing
from tests.factories import create_filed_dossier, pdf_upload, user
from tests.helpers import (
    ClientRequest,
    birth_answers,
    dossier_of,
    login,
    pdf_bytes,
    save,
    start_draft,
    upload,
)

KEY = "giay_chung_sinh"


def _path(app, sha):
    return storage.path_of(app.config["UPLOAD_DIR"], sha)


def _draft(rc):
    _, public_id = start_draft(rc)
    save(rc, public_id, birth_answers())
    return public_id


def _remove(rc, public_id, file_id, **expect):
    if not expect:
        expect = {"expected_redirect": f"/my/dossiers/{public_id}/documents"}
    return rc.post(f"/my/dossiers/{public_id}/files/{file_id}/delete",
                   form_page=f"/my/dossiers/{public_id}/documents", **expect)


def test_removing_a_drafts_file_removes_the_stored_file(fresh_app):
    app = fresh_app()
    rc = _fresh_resident(app)
    public_id = _draft(rc)
    upload(rc, public_id, KEY, pdf_bytes(b"chi-o-day"), "mot.pdf")
    with get_db(app).transaction() as s:
        (a,) = dossier_of(s, public_id).attachments
        file_id, sha = a.public_id, a.stored_name
    assert _path(app, sha).exists()
    _remove(rc, public_id, file_id)
    assert not _path(app, sha).exists()
    with get_db(app).transaction() as s:
        assert dossier_of(s, public_id).attachments == []


def test_a_file_another_dossier_still_names_stays(fresh_app):
    app = fresh_app()
    rc = _fresh_resident(app)
    first = _draft(rc)
    content = pdf_bytes(b"dung-chung")
    upload(rc, first, KEY, content, "a.pdf")
    save(rc, first, birth_answers())  # touched: the next apply makes a new draft
    second = _draft(rc)
    assert second != first
    upload(rc, second, KEY, content, "b.pdf")
    with get_db(app).transaction() as s:
        (a,) = dossier_of(s, first).attachments
        file_id, sha = a.public_id, a.stored_name
    _remove(rc, first, file_id)
    assert _path(app, sha).read_bytes() == content  # the second draft still needs it
    rc.get(f"/my/dossiers/{second}/documents")


def _fresh_resident(app):
    with get_db(app).transaction() as s:
        resident = user(s, "resident@demo.test")
    client = app.test_client()
    login(client, resident)
    return ClientRequest(client)


def test_a_dossier_holds_at_most_the_configured_number_of_files(fresh_app):
    app = fresh_app(MAX_FILES_PER_DOSSIER=2)
    rc = _fresh_resident(app)
    public_id = _draft(rc)
    for n in (1, 2):
        upload(rc, public_id, KEY, pdf_bytes(bytes([n])), f"phan-{n}.pdf")
    page = upload(rc, public_id, KEY, pdf_bytes(b"3"), "phan-3.pdf", expected_status=413)
    assert "Hồ sơ này đã có 2 tệp, mức tối đa cho phép." in page.html
    with get_db(app).transaction() as s:
        assert len(dossier_of(s, public_id).attachments) == 2
    assert not list(Path(app.config["UPLOAD_DIR"]).rglob(".upload-*"))


def test_a_resident_keeps_at_most_the_configured_number_of_drafts(fresh_app):
    app = fresh_app(MAX_DRAFTS_PER_USER=2)
    rc = _fresh_resident(app)
    _draft(rc)
    _draft(rc)
    page = rc.post("/procedures/1.001193/apply", form_page="/procedures/1.001193",
                   expected_status=409)
    assert "Bạn đã có 2 hồ sơ nháp chưa hoàn thành, mức tối đa cho phép." in page.html
    assert "90 ngày" in page.html
    with get_db(app).transaction() as s:
        resident = user(s, "resident@demo.test")
        drafts = [d for d in filing.user_dossiers(s, resident) if d.status == S.DRAFT]
        assert len(drafts) == 2


# --- item 7: a supplement round ------------------------------------------------------------


@pytest.fixture
def second_round(app, session):
    """A dossier in its second supplement round: one file sent in the first round (the
    office received it), one sent in the open round."""
    from district_portal.services.dossiers.workflow import perform

    with app.test_request_context():
        resident, clerk = user(session, "resident@demo.test"), user(session, "clerk@demo.test")
        d = create_filed_dossier(session, status=S.ACCEPTED)
        perform(session, d, "request_supplement", clerk, reason="Thiếu bản sao")
        received = filing.add_attachment(session, d, "xac_nhan_hon_nhan",
                                         pdf_upload("vong-1.pdf"), resident, kind="supplement")
        filing.answer_supplement(session, d, resident, None)
        perform(session, d, "request_supplement", clerk, reason="Bản sao chưa rõ")
        upload_ = FileStorage(io.BytesIO(pdf_bytes(b"vong hai")), filename="vong-2.pdf")
        current = filing.add_attachment(session, d, "xac_nhan_hon_nhan", upload_, resident,
                                        kind="supplement")
        session.commit()
        return d, received, current


def test_a_file_received_in_an_earlier_round_cannot_be_removed(app, session, second_round):
    d, received, current = second_round
    with app.test_request_context():
        assert d.status == S.SUPPLEMENT_REQUESTED
        assert not filing.may_remove(d, received) and filing.may_remove(d, current)
        with pytest.raises(filing.FilingError) as info:
            filing.remove_attachment(session, d, received)
        assert info.value.status == 409
    session.rollback()
    assert received in dossier_of(session, d.public_id).attachments


def test_the_page_says_why_and_the_file_stays(app, session, resident_client, second_round):
    d, received, current = second_round
    page = resident_client.post(f"/my/dossiers/{d.public_id}/files/{received.public_id}/delete",
                                form_page=f"/my/dossiers/{d.public_id}/supplement",
                                expected_status=409)
    assert "Cơ quan đã nhận tệp này nên tệp được giữ lại trong hồ sơ." in page.html
    session.expire_all()
    names = [a.original_name for a in dossier_of(session, d.public_id).attachments]
    assert "vong-1.pdf" in names and "vong-2.pdf" in names
    # The open round's own file can go.
    resident_client.post(f"/my/dossiers/{d.public_id}/files/{current.public_id}/delete",
                         form_page=f"/my/dossiers/{d.public_id}/supplement",
                         expected_redirect=f"/my/dossiers/{d.public_id}/supplement")
    session.expire_all()
    names = [a.original_name for a in dossier_of(session, d.public_id).attachments]
    assert "vong-1.pdf" in names and "vong-2.pdf" not in names
