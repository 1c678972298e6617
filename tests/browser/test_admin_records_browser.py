"""The province admin in a real browser (issue 13, items 5 and 6): the calendar's year view, a
day off added for a commune, the catalogue file downloaded, a broken copy refused with its
errors listed and a good one imported, and the audit log filtered to what was done. Without
JavaScript (the admin pages need none); screenshots at 360 and 1366 px (into
$PORTAL_SCREENSHOTS when set, for a person to look at)."""

from __future__ import annotations

import copy
import json
import os
from datetime import date, timedelta
from pathlib import Path

from tests.factories import DEMO_OFFICE, MARRIAGE

WIDTHS = (360, 1366)


def _shots_dir(tmp_path) -> Path:
    folder = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _screenshots(page, folder: Path, name: str) -> None:
    """Both widths; nothing may stick out sideways on a 360 px phone."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(200)
        page.screenshot(path=str(folder / f"admin-{name}-{width}.png"), full_page=True)
        wide = page.locator("html").evaluate("e => e.scrollWidth")
        assert wide <= width, (name, width, wide)
    page.set_viewport_size({"width": 1366, "height": 800})


def _next_tuesday_in_july() -> date:
    d = date(date.today().year, 7, 1)
    return d + timedelta(days=(1 - d.weekday()) % 7)


def test_the_province_admin_keeps_the_calendar_the_catalogue_and_reads_the_log(
        live_server, browser_as, tmp_path):
    base = live_server.config["LIVE_URL"]
    shots = _shots_dir(tmp_path)
    page = browser_as("admin.tinh@demo.test")

    # The year view, province-wide, from the console's index.
    page.goto(base + "/admin/")
    page.click("text=Lịch làm việc")
    page.wait_for_url("**/admin/calendar/")
    assert page.locator("div.year table").count() == 12
    assert page.locator("td.holiday[title='Tết Dương lịch']").count() == 1
    _screenshots(page, shots, "calendar-year")

    # A day off for one commune, with a note.
    day = _next_tuesday_in_july()
    page.fill("#day", day.isoformat())
    page.select_option("#kind", "off")
    page.select_option("#office", DEMO_OFFICE)
    page.fill("#note", "Nghỉ bầu cử bổ sung")
    page.click("text=Lưu ngày")
    page.wait_for_url(f"**/admin/calendar/?office={DEMO_OFFICE}&year={day.year}")
    assert "Đã lưu ngày" in page.inner_text(".flash")
    cell = page.locator("td.entered-off")
    assert cell.count() == 1 and "Nghỉ bầu cử bổ sung" in cell.get_attribute("title")
    _screenshots(page, shots, "calendar-day-added")

    # The catalogue file: downloaded, a broken copy refused, a good one imported.
    page.goto(base + "/admin/catalogue/")
    with page.expect_download() as info:
        page.click("text=Tải tệp danh mục")
    doc = json.loads(Path(info.value.path()).read_text("utf-8"))
    good = copy.deepcopy(doc)
    next(p for p in good["procedures"] if p["code"] == MARRIAGE)["name"] = \
        "Đăng ký kết hôn (sửa từ trình duyệt)"
    broken = copy.deepcopy(good)
    del broken["procedures"][0]["name"]
    broken["procedures"][1]["online_level"] = "toàn phần"
    (tmp_path / "broken.json").write_text(json.dumps(broken, ensure_ascii=False), "utf-8")
    (tmp_path / "good.json").write_text(json.dumps(good, ensure_ascii=False), "utf-8")
    page.set_input_files("#file", str(tmp_path / "broken.json"))
    page.click("text=Kiểm tra và nhập")
    errors = page.inner_text("#import-errors")
    assert "Chưa nhập gì: tệp có 2 lỗi" in errors and "thiếu mục bắt buộc “name”" in errors
    assert "$.procedures[1].online_level" in errors
    _screenshots(page, shots, "catalogue-errors")
    page.set_input_files("#file", str(tmp_path / "good.json"))
    page.click("text=Kiểm tra và nhập")
    report = page.inner_text("#import-report")
    assert "Thủ tục có phiên bản mới: 1" in report
    _screenshots(page, shots, "catalogue-imported")
    page.goto(base + f"/procedures/{MARRIAGE}")
    assert "sửa từ trình duyệt" in page.inner_text("h1")

    # The audit log, filtered to the catalogue's entries.
    page.goto(base + "/admin/audit/")
    page.select_option("#kind", "catalogue")
    page.click("text=Lọc")
    page.wait_for_url("**/admin/audit/?**")
    titles = page.locator("section.act strong").all_inner_texts()
    assert titles == ["Nhập danh mục", "Xuất danh mục"]
    _screenshots(page, shots, "audit-filtered")
    page.goto(base + "/admin/audit/?kind=calendar")
    assert "Nghỉ bầu cử bổ sung" in page.inner_text("table.diff")
