"""Communication matrices: exact counts on hand-computable cases."""

from __future__ import annotations

import math

import pytest

from lengen.identify.communication import (
    addition_function,
    algorithmic_function,
    communication_point,
    communication_profile,
    communication_table,
    distinct_rows,
    growth,
    language_function,
    plot_communication,
    predicate_function,
    table_markdown,
)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 6])
def test_binary_majority_has_m_plus_1_rows(m):
    # Alice's row depends only on her number k of 1s (k = 0..m): with j ones in Bob's half the
    # answer is 1 iff k + j > m (a tie at k + j = m).  For k < k', Bob's j = m - k' separates them.
    p = communication_point(algorithmic_function("bin_majority"), 2 * m)
    assert p.exact and p.rows == m + 1


@pytest.mark.parametrize("m", [1, 2, 3, 5])
def test_parity_needs_one_bit(m):
    p = communication_point(algorithmic_function("parity"), 2 * m)
    assert p.rows == 2 and p.bits == 1.0


@pytest.mark.parametrize("m", [1, 2, 3, 4, 6])
def test_repeat_copy_has_every_half_as_its_own_row(m):
    p = communication_point(algorithmic_function("repeat_copy"), 2 * m)
    assert p.rows == 2**m and p.bits == m


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 6])
def test_dyck1_rows(m):
    # Alice's half is dead (some prefix has more ')' than '(') or has depth d <= m with d = m mod 2;
    # Bob can close exactly depth d (')'*d then a balanced string), so the live depths are distinct
    # rows, plus one all-false row: floor(m / 2) + 1 + 1.
    p = communication_point(language_function("dyck1"), 2 * m)
    assert p.rows == m // 2 + 2


def test_addition_counts():
    f = addition_function()
    # n = 4: "a + b =" with 1-bit operands; Alice holds "a +": 2 rows.
    assert communication_point(f, 4).rows == 2
    # n = 6: operand lengths (1,3), (2,2), (3,1); Alice holds 3 tokens: "a + 1" (2 halves, one row
    # each), "1 a +" (2), "1 a a" (4); every half is its own row: 8.
    assert communication_point(f, 6).rows == 8
    assert f(("1", "+", "1", "=")) == "10"
    assert f(("1", "+", "+", "=")) == "⊥"


def test_sampling_gives_lower_bounds():
    fn = algorithmic_function("bin_majority")
    exact = communication_point(fn, 12).rows
    sampled = communication_point(fn, 12, exhaustive_limit=10, samples=200)
    assert not sampled.exact and 2 <= sampled.rows <= exact


def test_distinct_rows_and_growth():
    f = predicate_function(lambda s: s.count("a") >= 2, "ab")
    xs = [("a",), ("b",)]
    assert distinct_rows(f, xs, [("a",), ("b",)]) == 2
    assert growth(communication_profile(algorithmic_function("repeat_copy"), [2, 4, 6, 8, 10])) == "exponential"
    assert growth(communication_profile(algorithmic_function("bin_majority"), [2, 4, 6, 8, 10])) == "polynomial"
    assert growth(communication_profile(algorithmic_function("parity"), [2, 4, 6, 8])) == "bounded"


def test_table_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    prof = communication_table(("parity", "repeat_copy"), ns=(2, 4, 6))
    md = table_markdown(prof)
    assert "| repeat_copy | 2 | 4 | 8 | exponential |" in md
    fig = plot_communication(prof)
    assert fig.axes[0].get_yscale() == "log"
    assert math.isclose(prof["repeat_copy"][-1].bits, 3.0)
