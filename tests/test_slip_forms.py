"""Forms 01, 04 and 05 as a clerk fills them: form 01 has its number, the time in hours and
minutes, where the result will be received and the copy line; form 04 names the office and
the signer's real title; form 05 lists each hand-over with a row to sign."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from district_portal.services.documents import slips
from district_portal.text import LOCAL_TZ
from tests.factories import S, add_event, create_dossier, user
from tests.helpers import pdf_text


def _keep(name: str, pdf: bytes) -> bytes:
    """PORTAL_KEEP_PDF=dir keeps the PDFs, to look at them as a clerk would."""
    if os.environ.get("PORTAL_KEEP_PDF_DIR"):
        with open(os.path.join(os.environ["PORTAL_KEEP_PDF_DIR"], name), "wb") as fh:
            fh.write(pdf)
    return pdf


def _accepted(session, at: datetime, **overrides):
    d = create_dossier(session, status=S.ACCEPTED, **overrides)
    d.accepted_at = at
    d.due_at = at + timedelta(days=3)
    add_event(session, d, "accept", actor=user(session, "clerk@demo.test"), at=at,
              to_status="accepted", data={"due_at": d.due_at.isoformat()})
    return d


def _local(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ).astimezone(UTC)


def test_form_01_has_its_number_the_time_in_hours_where_to_receive_and_the_copy_line(
        app, db_session):
    first = _accepted(db_session, _local(2026, 3, 3, 9, 5))
    d = _accepted(db_session, _local(2026, 3, 3, 14, 7), delivery={"way": "pickup"})
    before = int(slips.receipt_number(first).split("/")[0])
    pdf = _keep("form01.pdf", slips.render_slip(slips.receipt_for(d)))
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1  # signatures stay on the page
    text = pdf_text(pdf)
    for expected in (
            f"Số: {before + 1}/TN",
            "4. Thời gian nhận hồ sơ: 14 giờ 07 phút, ngày 03 tháng 3 năm 2026",
            "5. Thời gian hẹn trả kết quả giải quyết hồ sơ: 14 giờ 07 phút, ngày 06 tháng 3 "
            "năm 2026",
            "7. Đăng ký nhận kết quả tại: Bộ phận tiếp nhận và trả kết quả, UBND phường Hòa "
            "Bình.",
            "được lập thành 02 bản; 01 bản giao cho người nộp hồ sơ; 01 bản lưu tại Bộ phận "
            "tiếp nhận và trả kết quả",
            "Hòa Bình, ngày 03 tháng 3 năm 2026"):
        assert expected in text, expected


def test_receipt_numbers_follow_the_order_of_acceptance_within_the_office_and_year(
        app, db_session):
    late = _accepted(db_session, _local(2026, 12, 30, 10, 0))
    early = _accepted(db_session, _local(2026, 12, 29, 10, 0))
    next_year = _accepted(db_session, _local(2027, 1, 2, 8, 0))
    other_office = _accepted(db_session, _local(2027, 1, 2, 9, 0), office_code="000.00.05.T25")
    n_early = int(slips.receipt_number(early).split("/")[0])
    assert slips.receipt_number(late) == f"{n_early + 1}/TN"
    assert slips.receipt_number(next_year) == "1/TN"
    assert slips.receipt_number(other_office) == "1/TN"


def test_form_01_says_where_an_online_or_posted_result_is_received(app, db_session):
    online = _accepted(db_session, _local(2026, 3, 4, 9, 0), delivery={"way": "online"})
    post = _accepted(db_session, _local(2026, 3, 4, 9, 30),
                     delivery={"way": "post", "address": "Số 3, phố Chợ"})
    assert "Cổng dịch vụ công" in slips.result_place(online)
    assert slips.result_place(post).endswith("bưu chính công ích: Số 3, phố Chợ")


def test_form_04_names_the_office_and_the_signers_real_title(app, db_session):
    d = _accepted(db_session, _local(2026, 3, 3, 9, 0))
    leader = user(db_session, "leader@demo.test")
    leader.job_title = "Chủ tịch"
    new_due = _local(2026, 3, 12, 16, 0)
    add_event(db_session, d, "extend", actor=leader, note="Cần xác minh nơi sinh",
              at=d.due_at - timedelta(hours=2),
              data={"old_due_at": d.due_at.isoformat(), "due_at": new_due.isoformat()})
    text = pdf_text(_keep("form04.pdf", slips.render_slip(slips.apology_slip(d))))
    for expected in (
            "Ngày 03/03/2026, UBND phường Hòa Bình tiếp nhận giải quyết hồ sơ của ông/bà",
            "Tuy nhiên đến nay, UBND phường Hòa Bình chưa trả kết quả",
            "UBND phường Hòa Bình xin lỗi ông/bà",
            # the birth registration's definition: TM. UBND, and the leader is the head
            "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH (Ký, ghi rõ họ tên và đóng dấu) Lê Văn Lãnh Đạo"):
        assert expected in text, expected
    assert "THỦ TRƯỞNG CƠ QUAN" not in text and "KT. CHỦ TỊCH" not in text


def test_form_05_lists_each_hand_over_with_a_row_to_sign(app, db_session):
    d = _accepted(db_session, _local(2026, 3, 3, 9, 0))
    officer, leader = user(db_session, "officer@demo.test"), user(db_session, "leader@demo.test")
    add_event(db_session, d, "assign", actor=leader, at=_local(2026, 3, 3, 10, 0),
              to_status="in_progress", data={"officer": officer.public_id},
              to_office=d.handling_office)
    d.assignee = officer
    slip = slips.control_slip(d)
    steps = [(r.step, r.giver.split(" — ")[0], r.receiver.split(" — ")[0], r.at)
             for r in slip.rows]
    assert steps == [
        ("Tiếp nhận hồ sơ", "Nguyễn Thị Tiếp Nhận", "UBND phường Hòa Bình",
         "03/03/2026 09:00"),
        ("Giao chuyên viên xử lý", "Lê Văn Lãnh Đạo", "Trần Văn Chuyên Viên",
         "03/03/2026 10:00"),
        # still to come: printed blank, filled in and signed by hand
        ("Trình ký kết quả", "Trần Văn Chuyên Viên", "Lãnh đạo", "… giờ … phút, ngày …/…/……"),
        ("Ban hành kết quả", "Lãnh đạo", "Bộ phận tiếp nhận và trả kết quả",
         "… giờ … phút, ngày …/…/……"),
        ("Trả kết quả", "Bộ phận tiếp nhận và trả kết quả", "Nguyễn Thị Hằng",
         "… giờ … phút, ngày …/…/……"),
    ]
    html = slips.slip_html(slip)
    assert html.count('<div class="signbox"></div>') == 2 * len(slip.rows)
    text = pdf_text(_keep("form05.pdf", slips.render_slip(slip)))
    for expected in ("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
                     f"(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả số "
                     f"{slips.receipt_number(d)})", d.code,
                     "Bên giao (người giao ký)", "Bên nhận (người nhận ký)", "Trình ký kết quả",
                     "Trả kết quả"):
        assert expected in text, expected
