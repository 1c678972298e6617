"""The filing steps are written once (views/steps.py) and serve two flows: the resident
online (/my/dossiers/…) and the clerk at the counter (/staff/counter/…). Every test here runs
the same step on both flows and checks what the flow description changes: URLs, layout,
"save and finish later", the receiving office question and where submitting leads."""

from __future__ import annotations

import re

import pytest

from district_portal.views.filing import RESIDENT
from district_portal.views.staff import COUNTER
from tests.helpers import (
    BIRTH,
    TEST_PROC,
    ClientRequest,
    all_types_answers,
    dossier_of,
    login,
    pdf_bytes,
    user_by_email,
)

FLOWS = ("resident", "counter")


class Draft:
    """A draft in one flow, with the URLs of its steps."""

    def __init__(self, rc: ClientRequest, flow: str, public_id: str):
        self.rc, self.flow, self.public_id = rc, flow, public_id
        self.base = (f"/my/dossiers/{public_id}" if flow == "resident"
                     else f"/staff/counter/{public_id}")

    def url(self, step: str = "") -> str:
        return f"{self.base}/{step}" if step else self.base

    def post(self, step: str, data: dict, form_page: str, **kwargs):
        return self.rc.post(self.url(step), data, form_page=self.url(form_page), **kwargs)

    def save(self, data: dict, action: str = "next", **kwargs):
        return self.post("edit", {**data, "_action": action}, "edit", **kwargs)

    def upload(self, key: str, content: bytes, name: str, **kwargs):
        return self.rc.post(self.url(f"documents/{key}"), form_page=self.url("documents"),
                            files={key: (content, name)}, **kwargs)


def _start(app, session, flow: str, procedure: str) -> Draft:
    client = app.test_client()
    email = "resident@demo.test" if flow == "resident" else "clerk@demo.test"
    login(client, user_by_email(session, email))
    rc = ClientRequest(client)
    if flow == "resident":
        page = rc.post(f"/procedures/{procedure}/apply", form_page=f"/procedures/{procedure}",
                       expected_redirect="/my/dossiers/")
    else:
        page = rc.post("/staff/counter", {"procedure": procedure}, form_page="/staff/counter",
                       expected_redirect="/staff/counter/")
    form = page.find(".//form[@id='form']")
    public_id = re.search(r"/(?:my/dossiers|staff/counter)/(\w+)/edit", form.get("action"))
    return Draft(rc, flow, public_id.group(1))


@pytest.fixture
def start(app, session, all_types_procedure):
    def make(flow: str, procedure: str = TEST_PROC) -> Draft:
        return _start(app, session, flow, procedure)
    return make


@pytest.mark.parametrize("flow", FLOWS)
def test_both_flows_keep_what_was_typed_and_show_the_same_error_summary(start, session, flow):
    draft = start(flow)
    page = draft.save(all_types_answers(t_number="mười"), expected_status=400)
    assert page.error_links() == ["#in-t_number"]
    assert page.text(page.by_id("errors").find(".//a")) == "Số bản phải là một số, ví dụ 12."
    assert page.find(".//input[@name='t_number']").get("value") == "mười"
    assert dossier_of(session, draft.public_id).answers["t_number"] == "mười"
    page = draft.save(all_types_answers(), expected_redirect=draft.url("documents"))
    assert page.find(".//h2").text.startswith("Bản chụp giấy tờ chính")


@pytest.mark.parametrize("flow", FLOWS)
def test_both_flows_show_a_refused_upload_on_their_documents_page(start, flow):
    draft = start(flow)
    draft.save(all_types_answers(), expected_redirect=draft.url("documents"))
    page = draft.upload("ban_chinh", b"<html>not a scan</html>", "giay.pdf",
                        expected_status=400)
    alert = page.find(".//*[@role='alert']")
    assert page.text(alert).startswith("Chỉ nhận tệp PDF, JPEG hoặc PNG.")
    assert alert.find(".//a").get("href") == "#in-ban_chinh"
    assert "field-error" in page.by_id("doc-ban_chinh").get("class")
    # One form for the page; with a script, the chosen file goes to its own upload address.
    page_form = page.find(".//form[@enctype='multipart/form-data']")
    assert page_form.get("action") == draft.url("documents")
    file_input = page.by_id("doc-ban_chinh").find(".//input[@type='file']")
    assert file_input.get("data-upload") == draft.url("documents/ban_chinh")


@pytest.mark.parametrize("flow", FLOWS)
def test_both_flows_remove_a_file_and_come_back_to_their_documents_page(start, session,
                                                                        flow):
    draft = start(flow)
    draft.save(all_types_answers(), expected_redirect=draft.url("documents"))
    page = draft.upload("ban_chinh", pdf_bytes(), "ban-chinh.pdf",
                        expected_redirect=draft.url("documents"))
    assert "ban-chinh.pdf" in page.text(page.by_id("doc-ban_chinh"))
    file_id = dossier_of(session, draft.public_id).attachments[0].public_id
    remove = page.find(f".//button[@name='remove'][@value='{file_id}']")
    assert remove is not None and page.text(remove) == "Xóa"
    page = draft.post("documents", {"remove": file_id}, "documents",
                      expected_redirect=draft.url("documents"))
    assert "ban-chinh.pdf" not in page.html
    session.expire_all()
    assert dossier_of(session, draft.public_id).attachments == []


@pytest.mark.parametrize("flow", FLOWS)
def test_both_flows_check_before_submitting_and_submit_where_the_flow_says(start, session,
                                                                           flow):
    draft = start(flow)
    draft.save(all_types_answers(), expected_redirect=draft.url("documents"))
    review = draft.rc.get(draft.url("review"))
    assert "Còn thiếu: hãy tải lên trước khi nộp" in review.text()
    assert review.find(".//input[@name='nonce']") is None
    change = review.find(".//a[@href='" + draft.url("documents") + "#doc-ban_chinh']")
    assert change is not None
    draft.upload("ban_chinh", pdf_bytes(), "a.pdf", expected_redirect=draft.url("documents"))
    review = draft.rc.get(draft.url("review"))
    nonce = review.find(".//input[@name='nonce']").get("value")
    assert review.find(f".//form[@action='{draft.url('submit')}']") is not None
    response = draft.rc.client.post(draft.url("submit"), data={
        "csrf_token": review.csrf_token(), "nonce": nonce})
    assert response.status_code == 303
    session.expire_all()
    dossier = dossier_of(session, draft.public_id)
    assert dossier.status == "submitted" and dossier.channel == (
        "online" if flow == "resident" else "counter")
    expected = (f"/my/dossiers/{draft.public_id}?filed=1" if flow == "resident"
                else f"/staff/dossiers/{dossier.code}")
    assert response.headers["Location"].endswith(expected)


@pytest.mark.parametrize("flow", FLOWS)
def test_a_refused_submission_goes_back_to_the_flows_check_page(start, flow):
    draft = start(flow)
    draft.save(all_types_answers(), expected_redirect=draft.url("documents"))
    page = draft.post("submit", {"nonce": "n-1"}, "documents",
                      expected_redirect=draft.url("review"))
    flash = page.find(".//*[@class='flash error']")
    assert page.text(flash) == "Hãy tải lên đủ các giấy tờ bắt buộc trước khi nộp."


def test_only_the_resident_may_save_for_later(start):
    resident, counter = start("resident"), start("counter")
    assert resident.rc.get(resident.url("edit")).find(
        ".//button[@value='later']") is not None
    assert counter.rc.get(counter.url("edit")).find(".//button[@value='later']") is None
    resident.save(all_types_answers(), action="later", expected_redirect="/my/dossiers")
    # At the desk the button does not exist; a posted "later" goes on like "next".
    counter.save(all_types_answers(), action="later",
                 expected_redirect=counter.url("documents"))


def test_the_counter_does_not_ask_which_office_receives_the_dossier(start):
    resident, counter = start("resident", BIRTH), start("counter", BIRTH)
    assert resident.rc.get(resident.url("edit")).find(
        ".//*[@name='applicant_office']") is not None
    page = counter.rc.get(counter.url("edit"))
    assert page.find(".//*[@name='applicant_office']") is None
    assert page.find(".//a[@href='/staff/counter']") is not None  # the staff layout


def test_the_two_flows_differ_only_in_their_description():
    assert RESIDENT.layout == "base.html" and COUNTER.layout == "staff/_base.html"
    assert RESIDENT.later == "filing.my_dossiers" and COUNTER.later is None
    assert COUNTER.hidden_fields == ("applicant_office",) and RESIDENT.hidden_fields == ()
    for step in ("edit", "documents", "upload", "delete_file", "review", "submit"):
        assert RESIDENT.endpoints[step] == f"filing.{step}"
        assert COUNTER.endpoints[step] == f"staff.counter_{step}"
    assert "download" in RESIDENT.endpoints and "download" not in COUNTER.endpoints
