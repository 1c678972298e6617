"""Page budgets of the filing pages: ≤ 14 KB of HTML after gzip, and nothing needs a script."""

from __future__ import annotations

import pytest

from district_portal.services.dossiers.workflow import Action
from tests.helpers import (
    BIRTH,
    ClientRequest,
    act,
    birth_answers,
    file_dossier,
    page_scripts,
    pdf_bytes,
    save,
    start_draft,
    upload,
)

BUDGET = 14 * 1024  # bytes of HTML after gzip: the first TCP round trip


@pytest.fixture
def pages(app, resident_client, session, clerk):
    """Every filing page of a resident who has a full draft and a dossier asked to supplement."""
    _, draft = start_draft(resident_client, BIRTH)
    save(resident_client, draft, birth_answers(has_father="y", father_name="Nguyễn Văn Cha",
                                               father_id_number="025190000321"))
    upload(resident_client, draft, "giay_chung_sinh", pdf_bytes(), "giay-chung-sinh.pdf")
    filed = file_dossier(resident_client)
    act(app, session, filed, Action.REQUEST_SUPPLEMENT, clerk, reason="Bổ sung bản chụp.")
    rc = resident_client
    track = ClientRequest(app.test_client())
    from tests.helpers import dossier_of

    ref = dossier_of(session, filed).ref
    return {
        "edit": rc.get(f"/my/dossiers/{draft}/edit"),
        "documents": rc.get(f"/my/dossiers/{draft}/documents"),
        "review": rc.get(f"/my/dossiers/{draft}/review"),
        "dossier": rc.get(f"/my/dossiers/{filed}"),
        "list": rc.get("/my/dossiers"),
        "supplement": rc.get(f"/my/dossiers/{filed}/supplement"),
        "track": track.get("/track"),
        "track-found": track.post("/track", {"lookup": ref, "phone": "0912345678"},
                                  expected_status=200),
        # last: it leaves the draft invalid
        "edit-with-errors": save(rc, draft, birth_answers(child_name="", mother_id_number="1"),
                                 expected_status=400),
    }


def test_every_filing_page_fits_in_14_kb_after_gzip(pages):
    sizes = {name: page.gzip_size() for name, page in pages.items()}
    assert all(size <= BUDGET for size in sizes.values()), sizes


def test_the_edit_page_has_both_commune_lists_filled_without_a_script(pages):
    page = pages["edit"]
    for key in ("applicant_commune", "residence_commune"):
        options = page.by_id(f"in-{key}").findall("option")
        assert len(options) > 100  # every commune of Phú Thọ
        assert page.value(key) == "4795"
        assert len(page.by_id(f"in-{key}-province").findall("option")) == 35
    refresh = page.findall(".//button[@name='_action'][@value='refresh']")
    assert len(refresh) == 2  # "Show its communes" works with no script
    assert page.by_id("f-father_name").get("hidden") is None


def test_no_filing_page_needs_a_script(pages):
    for name, page in pages.items():
        for script in page_scripts(page.findall(".//script")):
            assert script.get("src", "").startswith("/assets/form."), name
            assert not (script.text or "").strip(), name
        forms = page.findall(".//main//form")
        assert forms or name == "list", name
        for form in forms:
            assert form.get("action", "").startswith("/"), (name, form.attrib)
            assert form.get("method") == "post", (name, form.attrib)
            buttons = [b for b in form.iter("button") if b.get("type", "submit") == "submit"]
            assert buttons, (name, form.get("action"))
            if form.get("enctype") == "multipart/form-data":
                assert form.find(".//input[@type='file']") is not None
        for el in page.doc.iter():
            assert not any(attr.startswith("on") for attr in el.attrib), (name, el.tag)
