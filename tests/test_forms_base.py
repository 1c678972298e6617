"""The base forms trim and normalise text, once per field, however many forms are built."""

from __future__ import annotations

import unicodedata

from werkzeug.datastructures import MultiDict

from district_portal.forms.public import CatalogSearchForm


def test_text_is_trimmed_and_nfc_normalised():
    form = CatalogSearchForm(MultiDict({"q": "  " + unicodedata.normalize("NFD", "khai sinh ở")}))
    assert form.q.data == unicodedata.normalize("NFC", "khai sinh ở")


def test_building_many_forms_does_not_pile_up_filters():
    for _ in range(50):
        form = CatalogSearchForm(MultiDict({"q": "x"}))
    assert len(form.q.filters) == 1
