"""Fragment, depth and size of programs, as documented in lengen.crasp.ast."""

from __future__ import annotations

import pytest

from lengen.crasp import FRAGMENTS, fragment_contains, info, parse


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("x := #[j <= i] Q(a)", "C-RASP[]"),
        ("x := i % 2 == 0", "C-RASP[periodic]"),
        ("x := #[j <= i] (j % 2 == 0)", "C-RASP[periodic]"),
        ("x := exists[j <= i, j == i - 1] Q(a)", "C-RASP[local]"),
        ("x := #[j <= i, i - j <= 0] Q(a)", "C-RASP[local]"),
        ("x := exists[j <= i, j == i - 1] Q(a) and i % 3 == 1", "C-RASP[periodic, local]"),
    ],
)
def test_fragment_is_the_smallest_one_containing_the_program(text: str, fragment: str) -> None:
    assert info(text).fragment == fragment


def test_fragment_inclusions() -> None:
    assert fragment_contains("C-RASP[periodic, local]", "C-RASP[local]")
    assert fragment_contains("C-RASP[periodic]", "C-RASP[]")
    assert not fragment_contains("C-RASP[periodic]", "C-RASP[local]")
    assert all(fragment_contains(f, "C-RASP[]") for f in FRAGMENTS)


def test_depth_is_the_longest_chain_of_nested_counts_through_definitions() -> None:
    assert info("x := Q(a) and true").depth == 0
    assert info("x := #[j <= i] Q(a)").depth == 1
    prog = parse(
        "h1 := exists[j <= i] Q(1)\n"
        "h10 := exists[j <= i] (Q(0) and h1)\n"
        "side := #[j <= i] Q(0) + 1\n"
        "h101 := exists[j <= i] (Q(1) and h10) and side > 2\n"
    )
    assert prog.info().depth == 3


def test_size_counts_core_operations_but_not_references() -> None:
    # exists[j <= i] Q(a) = Compare(>=, Count(Token a), Const 1): 4 operations
    assert info("x := exists[j <= i] Q(a)").size == 4
    # y := x and not x: And, Not (the two references are free) -> 4 + 2
    assert info("x := exists[j <= i] Q(a)\ny := x and not x").size == 6
    # 2 * c - 1: Sub, Scale, Const 1 (+ Count, Token) -> 5
    assert info("x := 2 * #[j <= i] Q(a) - 1").size == 5


def test_info_lists_outputs_moduli_and_distances() -> None:
    i = info("acc := true\nnext_a := i % 4 == 1 and i % 6 == 0\nnext_<eos> := exists[j <= i, j == i - 3] Q(a)\naccept := acc")
    assert i.outputs == ("next_a", "next_<eos>", "accept")
    assert i.moduli == (4, 6) and i.max_distance == 3
    assert i.as_dict()["fragment"] == "C-RASP[periodic, local]"
