"""The catalog of demonstration targets and the length-complexity figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

from lengen.crasp import parse
from lengen.identify.examples import DEFAULT_KEY, EXAMPLES, get_example, identification, search_example
from lengen.identify.figures import plot_identification, settle_text


def test_catalog_entries_are_consistent():
    assert DEFAULT_KEY in EXAMPLES
    for key, d in EXAMPLES.items():
        assert d.key == key and d.fragment.startswith("C-RASP[")
        assert d.target().alphabet
        assert d.label.startswith(d.title)
    with pytest.raises(KeyError, match="known"):
        get_example("nope")


@pytest.mark.parametrize("key", [k for k, d in EXAMPLES.items() if d.expressible])
def test_expressible_targets_settle_on_a_program_of_their_fragment(key):
    d = EXAMPLES[key]
    table = identification(key, range(1, 7))
    assert table.settled, table.to_markdown()
    last = table.rows[-1]
    assert last.accuracy == 1.0 and last.size <= d.max_size
    # the program found lies in the fragment searched (periodic/local only where allowed)
    frag = parse(last.program).info().fragment
    assert frag in ("C-RASP[]", d.fragment), (frag, d.fragment)


@pytest.mark.parametrize("key", [k for k, d in EXAMPLES.items() if not d.expressible])
def test_targets_outside_the_fragment_never_settle(key):
    table = identification(key, range(1, 7))
    assert not table.settled
    assert all(r.accuracy is None or r.accuracy < 1.0 for r in table.rows)
    sizes = [r.size for r in table.rows if r.size is not None]
    assert sizes == sorted(sizes)  # the consistent programs only get bigger ...
    assert table.rows[-1].status == "exhausted"  # ... until none fits within the limit


def test_a_wrong_choice_is_never_chosen_again_after_its_counterexample():
    """The mechanism of the proof: a program with a counterexample of length L is not chosen for n >= L."""
    table = identification("tomita4", range(1, 7))
    wrong = [r for r in table.rows if r.accuracy is not None and r.accuracy < 1.0]
    assert wrong
    for r in wrong:
        L = len(r.first_failure["input"])
        assert L > r.n
        assert all(s.expression != r.expression for s in table.rows if s.n >= L)


def test_search_example_uses_the_entry_settings():
    res = search_example("aa_star", 4)
    assert res.found and res.space.periods() == (2,)
    assert search_example("aa_star", 4, max_size=2).status == "exhausted"


def test_plot_identification_draws_both_panels():
    tables = {EXAMPLES[k].label: identification(k, range(1, 5)) for k in ("majority", "aa_star_nope")}
    fig = plot_identification(tables)
    size_ax, acc_ax = fig.axes[:2]
    assert len(acc_ax.get_lines()) == 2
    assert len(size_ax.get_lines()) >= 2
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("settles at n = 2" in s for s in labels) and any("does not settle" in s for s in labels)
    assert settle_text(tables[EXAMPLES["majority"].label]) == "settles at n = 2"


def test_search_space_round_trips_through_its_dict():
    from lengen.identify.search import SearchSpace

    for space in (SearchSpace(), SearchSpace(periodic=True, moduli=(2, 4)), SearchSpace(local=True, max_distance=1),
                  SearchSpace(periodic=True, local=True, constants=(0, 1, 2, 3))):
        back = SearchSpace.from_dict(space.as_dict())
        assert back.as_dict() == space.as_dict() and back.phases == space.phases


def test_html_tables_escape_and_mark_code():
    from lengen.identify.figures import html_table, identification_html

    t = html_table(["a", "program"], [[1, "#[j <= i] Q(a) < 2"], [2, "(none)"], [3, None]], code=[1])
    h = t._repr_html_()
    assert "<code>#[j &lt;= i] Q(a) &lt; 2</code>" in h and "<td>(none)</td>" in h and h.count("<tr>") == 4
    assert str(t).splitlines()[0].split() == ["a", "program"]
    table = identification("aa_star_nope", range(6, 8))
    h = identification_html(table)._repr_html_()
    assert "none up to size 12: exhausted" in h and "<code>" not in h
