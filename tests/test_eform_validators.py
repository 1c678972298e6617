"""The e-form's registry of cleaners (district_portal.eform.validators), one field type at a
time: a good value, a bad value with its one Vietnamese message, and hostile input (huge
numbers, superscript and full-width digits, NUL, control characters), which must always end
in a message, never an exception."""

from __future__ import annotations

import pytest

from district_portal.eform import (
    FIELD_TYPES,
    DossierForm,
    FieldError,
    FieldSpec,
    clean_value,
)
from district_portal.services.catalog.importer import load_schema
from tests.helpers import COMMUNE, OTHER_COMMUNE, OTHER_PROVINCE, PROVINCE

OPTIONS = [{"value": "a", "label": "Loại A"}, {"value": "b", "label": "Loại B"}]
SPECS = {
    "text": FieldSpec("t", "Họ và tên", "text", True, max_length=20),
    "pattern": FieldSpec("p", "Mã số thuế", "text", True, pattern=r"\d{10}(-\d{3})?"),
    "textarea": FieldSpec("a", "Nội dung", "textarea", True, max_length=50),
    "number": FieldSpec("n", "Số bản", "number", True, min=1, max=10),
    "date": FieldSpec("d", "Ngày cấp", "date", True),
    "select": FieldSpec("s", "Loại giấy", "select", True, options=OPTIONS),
    "radio": FieldSpec("r", "Loại giấy", "radio", True, options=OPTIONS),
    "checkbox": FieldSpec("c", "Tôi cam đoan", "checkbox", True),
    "email": FieldSpec("e", "Thư điện tử", "email", True),
    "phone": FieldSpec("ph", "Điện thoại", "phone", True),
    "id_number": FieldSpec("i", "Số định danh", "id_number", True),
    "tax_code": FieldSpec("tc", "Mã số thuế", "tax_code", True),
    "commune": FieldSpec("x", "Xã nơi cư trú", "commune", True),
}
COMMUNE_RAW = {"x.province": PROVINCE}

GOOD = [
    ("text", "Nguyễn Văn A", "Nguyễn Văn A"),
    ("pattern", "0123456789-001", "0123456789-001"),
    ("textarea", "dòng 1\r\ndòng 2", "dòng 1\r\ndòng 2"),
    ("number", "2", 2),
    ("number", "2,5", 2.5),
    ("number", " 1 0 ", 10),
    ("date", "2026-03-15", "2026-03-15"),
    ("date", "15/03/2026", "2026-03-15"),
    ("select", "b", "b"),
    ("radio", "a", "a"),
    ("checkbox", "y", True),
    ("email", "An@Example.com", "An@example.com"),
    ("phone", "0912 345 678", "+84912345678"),
    ("phone", "(+84) 912-345-678", "+84912345678"),
    ("id_number", "025190000123", "025190000123"),
    # Typed in groups, as printed on the card or read out at the desk (issue 8, item 7).
    ("id_number", "025 190 000 123", "025190000123"),
    ("id_number", "025.190.000.123", "025190000123"),
    ("id_number", "025-190-000-123", "025190000123"),
    ("id_number", "025\u00a0190 000\u2013123", "025190000123"),
    ("tax_code", "0123456789", "0123456789"),
    ("tax_code", "0123 456 789", "0123456789"),
    ("tax_code", "0123.456.789-001", "0123456789-001"),
    ("tax_code", "0123456789 001", "0123456789-001"),
    ("tax_code", "0123456789001", "0123456789-001"),
    ("commune", COMMUNE, int(COMMUNE)),
]

TAX_CODE_MESSAGE = ("Mã số thuế gồm 10 chữ số, hoặc 13 chữ số nếu có mã chi nhánh, ví dụ "
                    "0123456789-001.")
BAD = [
    ("text", "x" * 21, "Họ và tên tối đa 20 ký tự (hiện có 21)."),
    ("text", "dòng 1\ndòng 2", "Họ và tên phải viết trên một dòng."),
    ("pattern", "０１２３４５６７８９", "Mã số thuế chưa đúng định dạng."),
    ("textarea", "y" * 51, "Nội dung tối đa 50 ký tự (hiện có 51)."),
    ("number", "abc", "Số bản phải là một số, ví dụ 12."),
    ("number", "0", "Số bản phải từ 1 trở lên."),
    ("number", "11", "Số bản không được lớn hơn 10."),
    ("date", "31/02/2026", "Ngày cấp phải là ngày có thật, viết như 25/11/2026."),
    ("date", "1800-01-01", "Ngày cấp phải là ngày có thật, viết như 25/11/2026."),
    ("select", "c", "Chọn loại giấy"),
    ("radio", "c", "Chọn loại giấy"),
    ("checkbox", "", "Đánh dấu “Tôi cam đoan”"),
    ("email", "khong-co-a-cong.vn", "Nhập địa chỉ thư điện tử như ten@example.com."),
    ("phone", "123", "Nhập số điện thoại Việt Nam như 0912 345 678."),
    ("id_number", "02519000012", "Số định danh cá nhân gồm đúng 12 chữ số."),
    ("id_number", "025 190 000 1234", "Số định danh cá nhân gồm đúng 12 chữ số."),
    ("id_number", "025/190/000/123", "Số định danh cá nhân gồm đúng 12 chữ số."),
    ("tax_code", "012345678", TAX_CODE_MESSAGE),
    ("tax_code", "0123456789-01", TAX_CODE_MESSAGE),
    ("commune", "abc", "Chọn xã nơi cư trú"),
    ("commune", OTHER_COMMUNE, "Chọn xã/phường thuộc tỉnh/thành phố đã chọn."),
]

HUGE = "9" * 5000
HOSTILE = [
    ("number", HUGE, "Số bản phải là một số, ví dụ 12."),
    ("number", "1" * 29 + "0", "Số bản không được lớn hơn 10."),
    ("number", "-" + HUGE, "Số bản phải là một số, ví dụ 12."),
    ("number", "²", "Số bản phải là một số, ví dụ 12."),
    ("number", "1e400", "Số bản phải là một số, ví dụ 12."),
    ("number", "\x00", "Số bản phải là một số, ví dụ 12."),
    ("text", "An\x00", "Họ và tên chưa đúng định dạng."),
    ("textarea", "a\x07b", "Nội dung chưa đúng định dạng."),
    ("date", "²5/11/2026", "Ngày cấp phải là ngày có thật, viết như 25/11/2026."),
    ("date", HUGE, "Ngày cấp phải là ngày có thật, viết như 25/11/2026."),
    ("date", "\x00", "Ngày cấp phải là ngày có thật, viết như 25/11/2026."),
    ("select", "\x00", "Chọn loại giấy"),
    ("email", "a\x00@example.com", "Nhập địa chỉ thư điện tử như ten@example.com."),
    ("email", "a@" + "b" * 300 + ".vn", "Nhập địa chỉ thư điện tử như ten@example.com."),
    ("phone", "０９１２３４５６７８²", "Nhập số điện thoại Việt Nam như 0912 345 678."),
    ("phone", HUGE, "Nhập số điện thoại Việt Nam như 0912 345 678."),
    ("phone", "\x00", "Nhập số điện thoại Việt Nam như 0912 345 678."),
    ("id_number", "02519000012²", "Số định danh cá nhân gồm đúng 12 chữ số."),
    ("id_number", "０２５１９００００１２３", "Số định danh cá nhân gồm đúng 12 chữ số."),
    ("id_number", "02519000012\x00", "Số định danh cá nhân gồm đúng 12 chữ số."),
    ("id_number", " ." * 3000, "Số định danh cá nhân gồm đúng 12 chữ số."),
    ("tax_code", "０１２３４５６７８９", TAX_CODE_MESSAGE),
    ("tax_code", HUGE, TAX_CODE_MESSAGE),
    ("commune", "４７９５", "Chọn xã nơi cư trú"),
    ("commune", "⁴⁷⁹⁵", "Chọn xã nơi cư trú"),
    ("commune", HUGE, "Chọn xã nơi cư trú"),
    ("commune", "4795\x00", "Chọn xã nơi cư trú"),
]


@pytest.fixture
def ctx(app):
    """An app context: messages in Vietnamese, as outside a request."""
    with app.app_context():
        yield


def _field_types(schema) -> list[str]:
    """The `type` enum of a catalogue field, wherever the schema declares it."""
    if isinstance(schema, dict):
        if set(schema.get("enum", ())) >= {"text", "commune"}:
            return schema["enum"]
        children = schema.values()
    elif isinstance(schema, list):
        children = schema
    else:
        return []
    return next((found for child in children if (found := _field_types(child))), [])


def _clean(kind: str, raw: str, all_raw: dict | None = None):
    return clean_value(SPECS[kind], raw, all_raw if all_raw is not None else COMMUNE_RAW)


def test_the_registry_covers_every_field_type_of_the_catalogue_schema():
    field = _field_types(load_schema())
    assert set(FIELD_TYPES) == set(field)
    assert {s.type for s in SPECS.values()} == set(field)


@pytest.mark.parametrize(("kind", "raw", "value"), GOOD, ids=[f"{k}-{r!r}" for k, r, _ in GOOD])
def test_each_field_type_turns_a_good_value_into_its_typed_answer(ctx, kind, raw, value):
    assert _clean(kind, raw) == value


@pytest.mark.parametrize(("kind", "raw", "message"), BAD, ids=[f"{k}-{r!r}" for k, r, _ in BAD])
def test_each_field_type_refuses_a_bad_value_with_one_vietnamese_message(ctx, kind, raw,
                                                                          message):
    with pytest.raises(FieldError) as refused:
        _clean(kind, raw)
    assert str(refused.value) == message


@pytest.mark.parametrize(("kind", "raw", "message"), HOSTILE,
                         ids=[f"{k}-{r[:12]!r}" for k, r, _ in HOSTILE])
def test_hostile_input_ends_in_the_field_types_message_never_an_exception(ctx, kind, raw,
                                                                          message):
    with pytest.raises(FieldError) as refused:
        _clean(kind, raw)
    assert str(refused.value) == message


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_a_blank_required_field_asks_for_it_and_a_blank_optional_one_is_no_answer(ctx, kind):
    spec = SPECS[kind]
    with pytest.raises(FieldError) as refused:
        clean_value(spec, "", COMMUNE_RAW)
    assert str(refused.value).startswith(("Nhập", "Chọn", "Đánh dấu"))
    optional = FieldSpec(spec.key, spec.label, spec.type, False, options=spec.options)
    assert clean_value(optional, "", COMMUNE_RAW) == (False if kind == "checkbox" else None)


@pytest.mark.parametrize(("province", "message"), [
    ("xx", "Chọn xã nơi cư trú"), ("²⁵", "Chọn xã nơi cư trú"), ("２５", "Chọn xã nơi cư trú"),
    (HUGE, "Chọn xã nơi cư trú"), ("99", "Chọn xã/phường thuộc tỉnh/thành phố đã chọn."),
    (OTHER_PROVINCE, "Chọn xã/phường thuộc tỉnh/thành phố đã chọn."),
])
def test_a_commune_of_a_nonsense_or_other_province_is_refused(ctx, province, message):
    form = DossierForm([SPECS["commune"]], {"x.province": province, "x": COMMUNE})
    assert not form.validate()
    assert form.errors == {"x": message}
    if province != OTHER_PROVINCE:
        assert form.communes_of(SPECS["commune"]) == []


def test_an_unknown_field_type_is_refused_with_a_message(ctx):
    with pytest.raises(FieldError) as refused:
        clean_value(FieldSpec("z", "Ô lạ", "colour", True), "đỏ")
    assert str(refused.value) == "Loại trường không xác định."


@pytest.mark.parametrize(("typed", "contact"), [
    ("0912 345 678", ("phone", "+84912345678")),
    ("(+84) 912-345-678", ("phone", "+84912345678")),
    ("025 190 000 123", ("id_number", "025190000123")),
    ("025.190.000.123", ("id_number", "025190000123")),
])
def test_the_tracking_form_takes_a_phone_or_an_id_number_however_it_is_typed(app, typed,
                                                                              contact):
    from district_portal.codes import format_ref, new_ref
    from district_portal.forms.filing import TrackForm

    with app.test_request_context(method="POST", data={"lookup": format_ref(new_ref()),
                                                       "phone": typed}):
        form = TrackForm(meta={"csrf": False})
        assert form.validate(), form.errors
        assert form.contact == contact
        assert form.contact_inputs() == {contact[0]: contact[1]}


@pytest.mark.parametrize("typed", ["12", "0251900001234", "025 190 000 123 45", "0912 345 678²"])
def test_a_tracking_contact_that_is_neither_says_what_to_type_and_keeps_it(app, typed):
    from district_portal.forms.filing import TrackForm

    with app.test_request_context(method="POST", data={"lookup": "AB12-CD3E", "phone": typed}):
        form = TrackForm(meta={"csrf": False})
        assert not form.validate()
        assert form.phone.errors == ["Nhập số điện thoại Việt Nam như 0912 345 678, hoặc số "
                                     "định danh cá nhân 12 chữ số như 025 090 001 234."]
        assert form.phone.data == typed
