"""Result templates from the catalogue run with limits on loops, output and time (issue #11
item 10): a runaway template stops quickly with a clear message instead of using hundreds of
megabytes and seconds of CPU."""

from __future__ import annotations

import time

import pytest

from district_portal.services.documents import results, sandbox
from tests.factories import S, create_dossier


@pytest.fixture
def dossier(app, db_session):
    with app.test_request_context():
        yield create_dossier(db_session, status=S.ACCEPTED, verification_token="z" * 22)


@pytest.mark.parametrize("source", [
    # 10^10 steps, printing: the 400 MB template
    "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
    # loops that print nothing still count
    "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
    # a long loop over a long string
    "{% for c in 'abcdefghij' * 1000 %}{{ c }}{% endfor %}",
    # one step that would build a huge string
    "{{ 'x' | center(100000000) }}",
    "{{ '' | indent(100000000) }}",
    "{{ '{:>100000000}'.format(1) }}",
    "{{ '{:{}}'.format(1, 100000000) }}",
    "{{ '{x:>100000000}'.format_map({'x': 1}) }}",
    "{{ '%100000000s' % 1 }}",
    "{{ 'x'.ljust(100000000) }}",
    "{{ 'x'.zfill(100000000) }}",
    "{{ ('a' * 10000) | replace('a', 'b' * 10000) }}",
    "{{ ('a' * 10000).replace('a', 'b' * 10000) }}",
    # a macro that prints a lot through nested calls
    "{% macro m(n) %}{{ 'x' * 9000 }}{% if n %}{{ m(n - 1) }}{% endif %}{% endmacro %}"
    "{{ m(500) }}",
])
def test_runaway_templates_stop_quickly_with_a_clear_message(dossier, source):
    start = time.monotonic()
    with pytest.raises(results.ResultTemplateError) as info:
        results.render_result_body(dossier, source)
    assert time.monotonic() - start < sandbox.MAX_SECONDS + 1.5
    assert "Mẫu kết quả" in info.value.message


def test_a_loop_past_its_limit_says_which_limit(dossier):
    with pytest.raises(results.ResultTemplateError) as info:
        results.render_result_body(
            dossier, "{% for i in range(10) %}{% for j in range(10) %}{% for k in range(300) %}"
                     "{% endfor %}{% endfor %}{% endfor %}")
    assert "vượt giới hạn" in info.value.message
    assert "loop" in info.value.detail


def test_a_slow_template_stops_at_the_time_limit(dossier, monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.2)
    monkeypatch.setattr(sandbox, "MAX_ITERATIONS", 10**9)
    monkeypatch.setattr(sandbox, "MAX_LOOP", 10**9)
    source = ("{% for i in range(3000) %}{% for j in range(3000) %}{% for k in range(3000) %}"
              "{% endfor %}{% endfor %}{% endfor %}")
    monkeypatch.setattr(sandbox, "_safe_range", range)
    start = time.monotonic()
    with pytest.raises(results.ResultTemplateError) as info:
        results.render_result_body(dossier, source)
    assert time.monotonic() - start < 1.5
    assert "too long" in info.value.detail


def test_ordinary_templates_with_loops_and_formats_still_render(dossier):
    body = results.render_result_body(
        dossier, "{% for i in range(3) %}[{{ i }}]{% endfor %}"
                 "{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% endfor %}"
                 "{{ '%05d' % 42 }} {{ '{:>6}'.format('ab') }} {{ 'x' | center(5) }}"
                 "{{ 7 % 3 }}{{ 'ab' | replace('b', 'c') }}{{ 'q'.ljust(3) }}|")
    assert str(body) == "[0][1][2]a=100042     ab   x  1acq  |"


def test_the_output_limit_counts_the_whole_body(dossier, monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_OUTPUT", 50)
    assert str(results.render_result_body(dossier, "{{ 'x' * 50 }}")) == "x" * 50
    with pytest.raises(results.ResultTemplateError):
        results.render_result_body(dossier, "{% for i in range(6) %}{{ 'x' * 9 }}{% endfor %}")
