"""Every answer is limited on save as on submit (issue #11 item 8): a 5 MB value pasted into a
500-character field is refused with a clear message; the draft keeps what fits, never
megabytes, and an answer only a little too long is kept as typed."""

from __future__ import annotations

import pytest

from district_portal.eform.validators import RAW_MAX_OTHER
from district_portal.services.dossiers import filing
from tests.factories import BIRTH, create_filed_dossier, procedure, user
from tests.helpers import (
    TEST_PROC,
    all_types_answers,
    birth_answers,
    dossier_of,
    save,
    start_draft,
)

FIVE_MB = 5 * 1024 * 1024


@pytest.mark.parametrize(("key", "kept", "message"), [
    ("child_birth_place", 200,
     "Nơi sinh chỉ được tối đa 200 ký tự; bạn đã nhập 5242880 ký tự."),
    ("applicant_street", 200, None),
    ("child_birth_date", RAW_MAX_OTHER, None),
    ("mother_id_number", RAW_MAX_OTHER, None),
])
@pytest.mark.parametrize("action", ["next", "later", "refresh"])
def test_a_huge_answer_is_refused_and_the_draft_keeps_what_fits(resident_client, session,
                                                                 key, kept, message, action):
    _, public_id = start_draft(resident_client)
    page = save(resident_client, public_id, birth_answers(**{key: "a" * FIVE_MB}),
                action=action, expected_status=400)
    assert len(page.html) < 200_000  # the page does not send the 5 MB back
    errors = page.text(page.find(".//*[@class='errors']"))
    assert "5242880" in errors and "ký tự đầu: hãy kiểm tra lại phần cuối" in errors
    if message:
        assert message in errors
    stored = filing.load_form(dossier_of(session, public_id)).raw
    assert stored[key] == "a" * kept  # what fits, as typed
    assert stored["child_sex"] == "nam"  # the rest of the page is kept too


def test_a_slightly_long_answer_is_kept_as_typed_with_the_usual_message(resident_client,
                                                                        session,
                                                                        all_types_procedure):
    _, public_id = start_draft(resident_client, TEST_PROC)
    page = save(resident_client, public_id, all_types_answers(t_text="x" * 25),
                expected_status=400)
    assert "Họ và tên người liên quan tối đa 20 ký tự (hiện có 25)." in page.html
    assert dossier_of(session, public_id).answers["t_text"] == "x" * 25


def test_the_service_bounds_what_it_saves_whatever_form_it_is_given(app, session):
    with app.test_request_context():
        draft = filing.start_draft(session, user(session, "resident@demo.test"),
                                   procedure(session, BIRTH))
        form = filing.load_form(draft)
        form.raw["child_name"] = "x" * 10**6  # put there after the form was built
        filing.save_answers(session, draft, form)
        assert filing.load_form(draft).raw["child_name"] == "x" * 100
        assert not form.validate()
        assert "1000000" in form.errors["child_name"]
    session.rollback()


def test_a_supplement_with_a_huge_answer_is_refused_and_changes_nothing(
        app, session, resident_client):
    from district_portal.services.dossiers.workflow import perform

    with app.test_request_context():
        d = create_filed_dossier(session)
        perform(session, d, "request_supplement", user(session, "clerk@demo.test"),
                reason="Sửa tên")
        session.commit()
        before = dict(d.answers)
    page = resident_client.get(f"/my/dossiers/{d.public_id}/supplement")
    data = {field.get("name"): field.get("value") or ""
            for field in page.findall(".//form//input") if field.get("name")}
    data.update({"husband_name": "x" * FIVE_MB, "_action": "send"})
    answer = resident_client.post(f"/my/dossiers/{d.public_id}/supplement", data,
                                  form_page=f"/my/dossiers/{d.public_id}/supplement",
                                  expected_status=400)
    assert "5242880" in answer.html and len(answer.html) < 200_000
    session.expire_all()
    assert dossier_of(session, d.public_id).answers == before
