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


def test_addition_count_is_a_formula():
    # the number of inputs of length n, without building the operand lists (n = 40 would need 2^37 strings)
    f = addition_function()
    assert f.count_inputs(6) == 2 * 4 + 2 * 2 + 4 * 2
    assert f.count_inputs(16) == sum(1 for _ in f.enumerate_inputs(16))
    assert f.count_inputs(60) > 2**50


def test_collision_estimate_goes_beyond_the_sample():
    # repeat_copy: every half is its own row and halves are uniform, so q = 2^-h and 1/q = 2^h = R
    fn = algorithmic_function("repeat_copy")
    p = communication_point(fn, 24, exhaustive_limit=10, samples=1500, columns=8)
    assert not p.exact and p.rows <= 1500 and p.collisions >= 50
    assert 2**11 < p.estimate < 2**13  # the true count is 2^12
    assert p.as_dict()["collisions"] == p.collisions
    # parity: two rows, and the estimate stays at 2
    q = communication_point(algorithmic_function("parity"), 24, exhaustive_limit=10, samples=400, columns=8)
    assert q.rows == 2 and q.estimate < 2.1


def test_infeasible_lengths_are_left_out():
    prof = communication_table(("bin_majority_interleave", "addition"), ns=(2, 3, 4, 6))
    assert [p.n for p in prof["bin_majority_interleave"]] == [3, 6]
    assert [p.n for p in prof["addition"]] == [4, 6]


def test_communication_matrix():
    from lengen.identify.communication import communication_matrix

    xs, ys, m = communication_matrix(algorithmic_function("parity"), 4)
    assert len(xs) == len(ys) == 4 and len({tuple(r) for r in m}) == 2
    xs, ys, m = communication_matrix(addition_function(), 5)  # "a + b =" with 5 tokens; Alice holds 2
    assert all(len(r) == len(ys) for r in m)
    assert any("⊥" in r for r in m)
