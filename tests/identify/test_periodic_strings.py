"""Programs read along a periodic string: the lemma that excludes PARITY, checked on programs."""

from __future__ import annotations

import numpy as np
import pytest

from lengen.crasp import parse
from lengen.crasp.ast import fragment_contains
from lengen.identify.periodic_strings import (
    block_end_values,
    eventual_form_index,
    parity_at_block_ends,
    periodic_string,
    random_program,
    settling_index,
)

BLOCK = ["0"] * 11 + ["1"]  # length 12, a multiple of the moduli 2, 3, 4


def test_periodic_string_and_block_ends() -> None:
    assert periodic_string(["a", "b"], 2) == ["<bos>", "a", "b", "a", "b"]
    # ones = k at the end of block k
    v = block_end_values("ones := #[j <= i] Q(1)", ["0", "1"], 5, name="ones")
    assert v.tolist() == [0, 1, 2, 3, 4, 5]
    v = block_end_values("ones := #[j <= i] Q(1)\naccept := ones > 2", ["0", "1"], 5)
    assert v.tolist() == [False, False, False, True, True, True]
    with pytest.raises(ValueError):
        block_end_values("accept := true", [], 3)


def test_settling_index() -> None:
    assert settling_index([]) == 0
    assert settling_index([1, 1, 1]) == 0
    assert settling_index([0, 1, 0, 0, 0]) == 2
    assert settling_index([True, False, True, False]) == 3


def test_parity_alternates() -> None:
    assert parity_at_block_ends(BLOCK, 4).tolist() == [True, False, True, False, True]
    assert parity_at_block_ends(["1", "1"], 3).all()


def test_a_length_parity_program_is_fooled_by_blocks() -> None:
    # On strings of 1s the parity of the number of 1s is the parity of the length, which a
    # periodic predicate reads (after locating <bos>); on the block strings it is constant.
    prog = parse("bos0 := exists[j <= i] (Q(<bos>) and j % 2 == 0)\n"
                 "accept := (bos0 and i % 2 == 0) or (not bos0 and i % 2 == 1)")
    ones = block_end_values(prog, ["1"], 9, offset=3)
    assert ones.tolist() == parity_at_block_ends(["1"], 9).tolist()
    assert settling_index(block_end_values(prog, BLOCK, 9, offset=3)) == 0


@pytest.mark.parametrize("seed", range(6))
def test_random_programs_settle_along_blocks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(10):
        prog = parse(random_program(rng, ["<bos>", "0", "1"]))
        assert fragment_contains("C-RASP[periodic, local]", prog.info().fragment)
        for offset in (0, 5):
            assert eventual_form_index(prog, BLOCK, 40, offset=offset) < 20
            values = block_end_values(prog, BLOCK, 40, offset=offset)
            assert settling_index(values) < 20
            assert (values[20:] != parity_at_block_ends(BLOCK, 40)[20:]).any()


def test_a_modulus_that_does_not_divide_the_block_breaks_the_claim() -> None:
    # i % 5 along blocks of 12: the residue of a block end cycles with period 5, forever
    prog = parse("p := i % 5 == 0\naccept := p")
    assert eventual_form_index(prog, BLOCK, 30) > 25
