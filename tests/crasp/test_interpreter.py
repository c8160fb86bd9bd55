"""The vectorized interpreter on hand-checked examples: positions, counts, offsets, inputs."""

from __future__ import annotations

import numpy as np
import pytest

from lengen.crasp import VocabularyError, encode, evaluate, evaluate_ragged, parse, run

PROG = parse(
    """
    // the running example of these tests
ones   := #[j <= i] Q(1)
length := #[j <= i] true
prev1  := #[j <= i, j == i - 1] Q(1)
last3  := #[j <= i, i - j <= 2] Q(1)
even   := i % 2 == 0
evens  := #[j <= i] (Q(1) and j % 2 == 0)
diff   := 2 * ones - length
pick   := even ? ones : -1
"""
)


def test_positions_are_one_based_and_counts_are_inclusive_prefix_counts() -> None:
    v = run(PROG, "1 0 1 1")
    assert v["length"].tolist() == [1, 2, 3, 4]
    assert v["ones"].tolist() == [1, 1, 2, 3]
    assert v["diff"].tolist() == [1, 0, 1, 2]


def test_shift_count_is_zero_before_the_string_starts() -> None:
    assert run(PROG, "1 0 1 1")["prev1"].tolist() == [0, 1, 0, 1]


def test_window_count_covers_i_minus_k_to_i_clipped_at_position_one() -> None:
    assert run(PROG, "1 1 0 1 1 1")["last3"].tolist() == [1, 2, 2, 2, 2, 3]


def test_periodic_predicates_see_offset_plus_position_and_count_bodies_test_j() -> None:
    assert run(PROG, "1 1 1 1")["even"].tolist() == [False, True, False, True]
    assert run(PROG, "1 1 1 1", offset=1)["even"].tolist() == [True, False, True, False]
    assert run(PROG, "1 1 1 1")["evens"].tolist() == [0, 1, 1, 2]
    assert run(PROG, "1 1 1 1", offset=3)["evens"].tolist() == [1, 1, 2, 2]
    assert run(PROG, "1 1 1 1", offset=1)["pick"].tolist() == [1, -1, 3, -1]


def test_offsets_do_not_change_counts_or_local_relations() -> None:
    a, b = run(PROG, "1 0 1 1 0"), run(PROG, "1 0 1 1 0", offset=37)
    for name in ("ones", "length", "prev1", "last3", "diff"):
        assert a[name].tolist() == b[name].tolist()


def test_batches_of_strings_and_per_string_offsets() -> None:
    v = evaluate(PROG, ["1 1 0", ["0", "1", "1"]], offset=[0, 1])
    assert v["ones"].tolist() == [[1, 2, 2], [0, 1, 2]]
    assert v["even"].tolist() == [[False, True, False], [True, False, True]]
    assert v["ones"].dtype == np.int64 and v["even"].dtype == np.bool_


def test_ragged_inputs_return_one_row_per_string_in_input_order() -> None:
    res = evaluate_ragged(PROG, ["1 1 0 1", "0", "1 1", "0 1 1 1"])
    assert [r["ones"].tolist() for r in res] == [[1, 2, 2, 3], [0], [1, 2], [0, 1, 2, 3]]


def test_equal_length_entry_point_refuses_ragged_batches_with_a_pointer() -> None:
    with pytest.raises(ValueError, match="evaluate_ragged"):
        evaluate(PROG, ["1 1", "1"])


def test_empty_strings_and_empty_batches() -> None:
    v = evaluate(PROG, [[], []])
    assert v["ones"].shape == (2, 0)
    assert evaluate_ragged(PROG, []) == []


def test_tokens_the_program_never_tests_satisfy_no_q() -> None:
    assert run(PROG, "x 1 y")["ones"].tolist() == [0, 1, 1]


def test_programs_with_a_vocabulary_reject_other_input_tokens() -> None:
    prog = parse("ones := #[j <= i] Q(1)", vocab=["0", "1"])
    with pytest.raises(VocabularyError, match=r"'2' \(string 0, position 3\)"):
        run(prog, "1 0 2")


def test_pre_encoded_inputs_give_the_same_values() -> None:
    batch = [["1", "0", "1"], ["0", "0", "1"]]
    ids = encode(PROG, batch)
    assert ids.dtype == np.int32
    for name, v in evaluate(PROG, ids, offset=3).items():
        assert np.array_equal(v, evaluate(PROG, batch, offset=3)[name])


def test_constant_definitions_are_materialized_at_full_shape() -> None:
    prog = parse("t := true\nk := 3\nc := #[j <= i] t")
    v = evaluate(prog, ["a b c", "a b c"])
    assert v["t"].shape == (2, 3) and v["t"].all()
    assert v["k"].tolist() == [[3, 3, 3], [3, 3, 3]]
    assert v["c"].tolist() == [[1, 2, 3], [1, 2, 3]]
    v["k"][0, 0] = 9  # outputs are writable arrays, not broadcast views


def test_values_can_be_written_into_the_arrays_of_an_earlier_call() -> None:
    batch = ["1 0 1", "0 0 1"]
    first = evaluate(PROG, batch)
    ones = first["ones"]
    again = evaluate(PROG, ["1 1 1", "0 0 0"], out=first)
    assert again is first and again["ones"] is ones
    assert again["ones"].tolist() == [[1, 2, 3], [0, 0, 0]]
    fresh = evaluate(PROG, ["1 1 1", "0 0 0"])
    assert all(np.array_equal(fresh[k], again[k]) for k in fresh)
