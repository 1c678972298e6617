"""The fee engine: catalogue fee rules and answers → fee lines and a total, in whole đồng."""

from __future__ import annotations

import pytest

from district_portal.services.catalog.fees import (
    MAX_TOTAL,
    FeeError,
    FeeLine,
    fee_rules,
    has_fee,
    quote,
)

FIELDS = [
    {"key": "pages", "label": "Số trang", "type": "number"},
    {"key": "copies", "label": "Số bản sao", "type": "number"},
    {"key": "late", "label": "Đăng ký quá hạn", "type": "checkbox"},
    {"key": "kind", "label": "Loại giấy", "type": "select",
     "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"},
                 {"value": "c", "label": "C"}]},
]
CERTIFIED_COPY = {
    "label": "Phí chứng thực", "per": "pages", "times": "copies",
    "tiers": [{"up_to": 2, "amount": 2000, "label": "trang 1–2"},
              {"amount": 1000, "label": "từ trang 3"}],
    "cap": 200_000,
}


def version(fee, **extra) -> dict:
    return {"fee": fee, "fields": FIELDS, **extra}


def rows(bill) -> list[tuple]:
    return [(line.label, line.quantity, line.unit_amount, line.amount) for line in bill.lines]


def test_a_fixed_fee_of_format_1_is_one_line_and_its_total():
    bill = quote(version(15000), {})
    assert rows(bill) == [(None, 1, 15000, 15000)]
    assert bill.total == 15000
    assert isinstance(bill.total, int)


def test_a_zero_fee_of_format_1_has_no_line_and_is_free():
    bill = quote(version(0, fee_note="Miễn lệ phí."), {})
    assert bill.lines == () and bill.total == 0
    assert bill.note == "Miễn lệ phí."
    assert not has_fee(version(0))


def test_a_fixed_rule_of_format_2_charges_its_amount_once():
    fee = {"lines": [{"label": "Lệ phí cấp giấy", "amount": 15000}], "online_payment": True}
    bill = quote(version(fee), {"pages": 3})
    assert rows(bill) == [("Lệ phí cấp giấy", 1, 15000, 15000)]
    assert has_fee(version(fee))


def test_a_per_page_fee_multiplies_the_amount_by_the_number_of_pages():
    fee = {"lines": [{"label": "Phí sao y", "amount": 3000, "per": "pages"}]}
    assert rows(quote(version(fee), {"pages": 7})) == [("Phí sao y", 7, 3000, 21000)]


def test_a_per_copy_fee_multiplies_by_the_number_of_copies():
    fee = {"lines": [{"label": "Phí bản sao", "amount": 5000, "times": "copies"}]}
    assert quote(version(fee), {"copies": 4}).total == 20000


def test_certified_copies_cost_2000_for_each_of_the_first_two_pages_then_1000():
    bill = quote(version({"lines": [CERTIFIED_COPY]}), {"pages": 5, "copies": 1})
    assert rows(bill) == [("Phí chứng thực – trang 1–2", 2, 2000, 4000),
                          ("Phí chứng thực – từ trang 3", 3, 1000, 3000)]
    assert bill.total == 7000


def test_tiers_apply_to_every_copy():
    bill = quote(version({"lines": [CERTIFIED_COPY]}), {"pages": 5, "copies": 3})
    assert rows(bill) == [("Phí chứng thực – trang 1–2", 6, 2000, 12000),
                          ("Phí chứng thực – từ trang 3", 9, 1000, 9000)]
    assert bill.total == 21000


def test_a_document_shorter_than_the_first_tier_only_pays_the_first_tier():
    bill = quote(version({"lines": [CERTIFIED_COPY]}), {"pages": 1, "copies": 2})
    assert rows(bill) == [("Phí chứng thực – trang 1–2", 2, 2000, 4000)]


def test_the_cap_limits_each_copy_to_200000_dong():
    # 300 pages: 2 × 2.000 + 298 × 1.000 = 302.000 a copy, capped at 200.000.
    bill = quote(version({"lines": [CERTIFIED_COPY]}), {"pages": 300, "copies": 2})
    assert rows(bill) == [("Phí chứng thực", 2, 200_000, 400_000)]
    assert bill.lines[0].capped
    assert bill.total == 400_000


def test_exactly_at_the_cap_is_not_marked_capped():
    # 2 × 2.000 + 196 × 1.000 = 200.000
    bill = quote(version({"lines": [CERTIFIED_COPY]}), {"pages": 198, "copies": 1})
    assert bill.total == 200_000 and not any(line.capped for line in bill.lines)


def test_an_exemption_by_answer_waives_the_line_and_says_why():
    fee = {"lines": [{"label": "Lệ phí đăng ký quá hạn", "amount": 8000}],
           "exempt_if": [{"field": "late", "equals": False, "label": "Đăng ký đúng hạn"}]}
    on_time = quote(version(fee), {"late": False})
    assert on_time.total == 0
    assert on_time.lines == (FeeLine("Lệ phí đăng ký quá hạn", 1, 0, 0,
                                     exempt="Đăng ký đúng hạn"),)
    assert quote(version(fee), {"late": True}).total == 8000


def test_an_absent_checkbox_counts_as_not_ticked():
    fee = {"lines": [{"label": "Lệ phí", "amount": 8000}],
           "exempt_if": [{"field": "late", "equals": False}]}
    bill = quote(version(fee), {})
    assert bill.total == 0 and bill.lines[0].exempt == ""


def test_a_rule_exemption_waives_only_its_line_and_in_lists_several_values():
    fee = {"lines": [
        {"label": "Phí cấp", "amount": 10000},
        {"label": "Phí bản sao", "amount": 5000, "times": "copies",
         "exempt_if": [{"field": "kind", "in": ["a", "b"], "label": "Loại A hoặc B"}]},
    ]}
    assert quote(version(fee), {"kind": "b", "copies": 3}).total == 10000
    assert quote(version(fee), {"kind": "c", "copies": 3}).total == 25000


def test_a_condition_on_a_choice_does_not_match_a_boolean_or_another_value():
    fee = {"lines": [{"label": "Phí", "amount": 1000,
                      "exempt_if": [{"field": "kind", "equals": "a"}]}]}
    assert quote(version(fee), {"kind": True}).total == 1000
    assert quote(version(fee), {}).total == 1000


def test_zero_pages_or_zero_copies_cost_nothing_but_keep_the_line():
    bill = quote(version({"lines": [CERTIFIED_COPY]}), {"pages": 0, "copies": 4})
    assert bill.total == 0 and len(bill.lines) == 1
    assert quote(version({"lines": [CERTIFIED_COPY]}), {"pages": 9, "copies": 0}).total == 0


def test_a_cap_of_zero_makes_a_rule_free():
    rule = {**CERTIFIED_COPY, "cap": 0}
    assert quote(version({"lines": [rule]}), {"pages": 4, "copies": 2}).total == 0
    assert not has_fee(version({"lines": [rule]}))


def test_huge_page_counts_are_capped_without_counting_page_by_page():
    bill = quote(version({"lines": [CERTIFIED_COPY]}), {"pages": 10**15, "copies": 3})
    assert bill.total == 600_000


def test_a_total_over_the_maximum_is_refused_with_a_message():
    fee = {"lines": [{"label": "Phí", "amount": 1000, "per": "pages"}]}
    with pytest.raises(FeeError) as err:
        quote(version(fee), {"pages": MAX_TOTAL})
    assert "check the numbers" in str(err.value)


def test_a_missing_count_names_the_field_to_fill():
    with pytest.raises(FeeError) as err:
        quote(version({"lines": [CERTIFIED_COPY]}), {"copies": 1})
    assert err.value.key == "pages"
    assert "Số trang" in str(err.value)


@pytest.mark.parametrize("bad", [2.5, -1, "3", True])
def test_a_count_that_is_not_a_whole_number_of_zero_or_more_is_refused(bad):
    with pytest.raises(FeeError) as err:
        quote(version({"lines": [CERTIFIED_COPY]}), {"pages": bad, "copies": 1})
    assert err.value.key == "pages"
    assert "whole number" in str(err.value)


def test_a_whole_float_count_is_accepted_as_an_integer():
    bill = quote(version({"lines": [CERTIFIED_COPY]}), {"pages": 3.0, "copies": 1})
    assert bill.total == 5000 and all(isinstance(line.amount, int) for line in bill.lines)


def test_fee_lines_survive_a_json_round_trip():
    bill = quote(version({"lines": [CERTIFIED_COPY]}), {"pages": 300, "copies": 2})
    stored = bill.lines_json()
    assert [FeeLine.from_json(line) for line in stored] == list(bill.lines)
    assert stored[0] == {"label": "Phí chứng thực", "quantity": 2, "unit_amount": 200_000,
                         "amount": 400_000, "capped": True}


def test_the_fee_note_of_either_format_is_kept():
    assert fee_rules(version(5000, fee_note="Ghi chú"))["note"] == "Ghi chú"
    assert fee_rules(version({"lines": [], "note": "Mới"}))["note"] == "Mới"
    assert fee_rules(version({"lines": []}, fee_note="Cũ"))["note"] == "Cũ"
