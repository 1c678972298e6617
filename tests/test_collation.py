"""Vietnamese alphabetical order (ICU's Vietnamese collation) in every list people pick from."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from district_portal.collation import person_sort_key, sort_key, sorted_vi
from district_portal.eform import form_specs, places
from district_portal.eform.form import DossierForm

PHU_THO, CAO_BANG = 25, 4


def _before(first: str, second: str) -> bool:
    return sort_key(first) < sort_key(second)


@pytest.mark.parametrize(("first", "second"), [
    ("Cà Mau", "Cao Bằng"),
    ("An Giang", "Ăn Quán"),
    ("Ăn Quán", "Âu Cơ"),
    ("Âu Cơ", "Bắc Ninh"),
    ("Dương", "Đà Nẵng"),
    ("Du", "Đa"),
    ("Uy", "Ưa"),
    ("Uông Bí", "Ưng Hòe"),
    ("Ôn", "Ơn"),
    ("Ông", "Ơa"),
    ("On", "Ôa"),
    ("Eo", "Êa"),
    ("Hà Nội", "Hải Phòng"),
])
def test_vietnamese_letters_come_in_the_order_of_the_alphabet(first, second):
    assert _before(first, second)
    assert not _before(second, first)


def test_a_list_of_names_sorts_as_a_vietnamese_reader_expects():
    names = ["Zeta", "Đồng Nai", "Cao Bằng", "Âu Cơ", "Ưa", "Cà Mau", "Dak", "Ub", "An Giang",
             "Ơn", "Ôm", "Om", "Bắc Ninh", "Ăn"]
    assert sorted_vi(names) == ["An Giang", "Ăn", "Âu Cơ", "Bắc Ninh", "Cà Mau", "Cao Bằng",
                                "Dak", "Đồng Nai", "Om", "Ôm", "Ơn", "Ub", "Ưa", "Zeta"]


def test_a_code_point_sort_would_get_it_wrong_so_the_test_means_something():
    assert sorted(["Cao Bằng", "Cà Mau"]) == ["Cao Bằng", "Cà Mau"]
    assert sorted(["Âu Cơ", "Bắc Ninh"]) == ["Bắc Ninh", "Âu Cơ"]


def test_the_province_picker_lists_provinces_in_vietnamese_order():
    names = [p.name for p in places.provinces()]
    assert names.index("Cà Mau") < names.index("Cao Bằng")
    assert names == sorted_vi(names)
    assert names[0].startswith("An")


def test_the_commune_picker_lists_communes_in_vietnamese_order():
    names = [w.name for w in places.communes(PHU_THO)]
    assert names == sorted_vi(names)
    assert names != sorted(names)  # the official list has names a code-point sort misplaces


def _office(kind, code, parent=None):
    return SimpleNamespace(kind=kind, admin_unit_code=code, parent=parent, name="x",
                           agency_code=f"X.{code}")


def test_the_province_of_an_office_is_found_for_every_kind_of_office():
    province = _office("province", PHU_THO)
    assert places.office_province(province) == PHU_THO
    assert places.office_province(_office("commune", 4795, province)) == PHU_THO  # Hòa Bình
    assert places.office_province(_office("centre", None, province)) == PHU_THO
    assert places.office_province(_office("centre", None)) is None


def test_the_commune_field_starts_on_the_receiving_offices_province():
    commune = _office("commune", 4795)
    specs = form_specs({"fields": []}, [commune])
    spec = next(s for s in specs if s.key == "applicant_commune")
    form = DossierForm(specs, {})
    assert form.province_of(spec) == PHU_THO
    assert {w.province_code.value for w in form.communes_of(spec)} == {PHU_THO}
    chosen = DossierForm(specs, {"applicant_commune.province": str(CAO_BANG)})
    assert chosen.province_of(spec) == CAO_BANG


def test_the_receiving_office_choice_is_in_vietnamese_order():
    offices = [SimpleNamespace(kind="commune", admin_unit_code=None, parent=None,
                               agency_code=code, name=name)
               for code, name in (("A", "UBND xã Yên Lập"), ("B", "UBND phường Âu Cơ"),
                                  ("C", "UBND phường Ánh Dương"))]
    spec = next(s for s in form_specs({"fields": []}, offices) if s.key == "applicant_office")
    assert [o["label"] for o in spec.options] == [
        "UBND phường Ánh Dương", "UBND phường Âu Cơ", "UBND xã Yên Lập"]


def test_people_are_listed_by_given_name_then_full_name():
    people = ["Trần Thị Bình", "Nguyễn Văn Đức", "Lê Văn An", "Âu Thị An", "Phạm Dũng"]
    assert sorted(people, key=person_sort_key) == [
        "Âu Thị An", "Lê Văn An", "Trần Thị Bình", "Phạm Dũng", "Nguyễn Văn Đức"]
