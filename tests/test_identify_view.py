"""The identifiability widget: the pure compute function, the HTML and the thin wrapper."""

from __future__ import annotations

import pytest

from lengen.identify.examples import DEFAULT_KEY, DEFAULT_N
from lengen.widgets.identify_view import IdentifyWidget, identify_view, render


def test_settled_choice_is_correct_on_longer_inputs():
    v = identify_view("majority", 3)
    assert v.found and v.expression == "#[j <= i] Q(b) < #[j <= i] Q(a)"
    assert v.test_len == 12 and sorted(v.by_length) == list(range(1, 13))
    assert v.seen_accuracy == 1.0 and v.unseen_accuracy == 1.0 and v.first_failure is None
    assert "Correct on every tested input up to length 12" in render(v)


def test_wrong_choice_shows_its_shortest_counterexample():
    v = identify_view("tomita4", 4)
    assert v.found and v.seen_accuracy == 1.0 and v.unseen_accuracy < 1.0
    f = v.first_failure
    assert f is not None and len(f["input"]) == min(m for m, (t, c) in v.by_length.items() if c < t)
    html = render(v)
    assert "Shortest counterexample" in html and "&lt;=" in html  # the program text is escaped
    assert "✗" in html and "✓" in html


def test_no_program_within_the_limit():
    v = identify_view("aa_star_nope", 8)
    assert v.status == "exhausted" and v.program is None and v.seen_accuracy is None
    assert "No choice" in render(v)


def test_bad_arguments():
    with pytest.raises(ValueError):
        identify_view("majority", 0)
    with pytest.raises(KeyError):
        identify_view("unknown", 3)


def test_widget_first_render_shows_a_result():
    w = IdentifyWidget()
    assert w.target.value == DEFAULT_KEY and w.n.value == DEFAULT_N
    assert w.view.found and "accept :=" in w.out.value
    w.n.value = 5  # a change recomputes
    assert w.view.n == 5 and w.view.unseen_accuracy == 1.0
    w.target.value = "aa_star_nope"
    assert "No choice" in w.out.value or "accept" in w.out.value
