"""The stylesheet cut to a page (district_portal/critical_css.py): a rule is dropped only when
it names a class, an element or an attribute value that appears nowhere in the page (or in
the script the page includes)."""

from __future__ import annotations

import re
from pathlib import Path

from district_portal.critical_css import Critical, page_names, parse

CSS = """/* a comment */
*{box-sizing:border-box}
a:focus,button:focus,textarea:focus{outline:3px solid}
.list li{padding:0}.lvl.full{color:green}
input[type=text],input[type=email],textarea{width:100%}
.js .js-hide{display:none}.upload-status progress{width:8rem}
[hidden]{display:none!important}
@media (max-width:30rem){.facts dt{float:none}}
@media print{@page{size:A4}.top,.noprint{display:none}}
"""
FORM_JS = """document.documentElement.className += " js";
var status = document.createElement("p"); status.className = "upload-status";
var bar = document.createElement("progress");"""


def cut(html: str) -> str:
    return Critical(CSS, {"form": FORM_JS}).for_page(html)[0]


def test_a_rule_whose_class_or_element_is_absent_is_dropped_the_others_kept():
    css = cut('<a href="/">x</a><ul class="list"><li>1</li></ul><header class="top">')
    assert css.startswith("*{box-sizing:border-box}a:focus{outline:3px solid}")  # only <a>
    assert ".list li{padding:0}" in css
    assert ".lvl" not in css and "textarea" not in css and ".facts" not in css
    assert "@media print{@page{size:A4}.top{display:none}}" in css  # .noprint: not on the page
    assert "[hidden]{display:none!important}" in css  # script may set the attribute
    assert "/*" not in css


def test_compound_classes_need_every_class():
    assert ".lvl.full" not in cut('<span class="lvl">')
    assert ".lvl.full{color:green}" in cut("<span class='lvl full'>")


def test_attribute_selectors_need_the_value_and_an_untyped_input_is_a_text_box():
    assert "input[type=email]{width:100%}" in cut('<input type="email" name="e">')
    assert "input[type=text]" not in cut('<input type="email" name="e">')
    assert "input[type=text]{width:100%}" in cut('<input name="q">')


def test_what_a_script_adds_is_kept_only_on_pages_that_include_the_script():
    without = cut('<p class="js-hide">')
    assert ".js .js-hide" not in without and "upload-status" not in without
    with_script = cut('<p class="js-hide"><script src="/assets/form.0123456789ab.js"></script>')
    assert ".js .js-hide{display:none}" in with_script
    assert ".upload-status progress{width:8rem}" in with_script


def test_the_hash_is_the_hash_of_the_text_and_equal_pages_share_the_result():
    critical = Critical(CSS, {})
    css, source = critical.for_page('<ul class="list"><li>')
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert source == f"'sha256-{digest}'"
    assert critical.for_page('<ul class="list"><li>') == (css, source)


def test_a_page_that_uses_every_name_of_the_real_stylesheet_gets_every_rule():
    css = Path(__file__).resolve().parents[1].joinpath("static/app.css").read_text("utf-8")
    rules = sum(len(body) if isinstance(body, list) else 1 for _, body in parse(css))
    assert rules > 90
    classes = " ".join(set(re.findall(r"\.([a-z][\w-]*)", re.sub(r"\{[^}]*\}", "{}", css))))
    tags = {t for t in re.findall(r"(?<![\w.#:-])([a-z][a-z0-9]*)(?=[\s,.:>{\[])",
                                  re.sub(r"\{[^}]*\}|@[^{]*", "{}", css))}
    html = f'<p class="{classes}">' + "".join(f"<{t}>" for t in tags) + "".join(
        f'<input {a}="{v}">' for a, v in re.findall(r"\[(\w+)=(\w+)\]", css))
    cut_css = Critical(css, {}).for_page(html)[0]
    assert cut_css.count("{") == rules + sum(1 for _, body in parse(css) if isinstance(body, list))
    classes, _ = page_names('<p class="a b">')
    assert classes == frozenset({"a", "b"})
