"""Property tests: the vectorized interpreter agrees with the naive oracle on random programs."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lengen.crasp import evaluate, evaluate_ragged, parse
from lengen.crasp.ast import Type

from .naive import naive_evaluate
from .strategies import INPUT_TOKENS, batches, programs

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _as_lists(program, values):  # type: ignore[no-untyped-def]
    return {d.name: values[d.name].tolist() for d in program.definitions}


@SETTINGS
@given(programs(), batches(), st.integers(0, 12))
def test_vectorized_interpreter_agrees_with_naive_oracle_everywhere(program, batch, offset) -> None:
    values = evaluate(program, batch, offset)
    for b, tokens in enumerate(batch):
        expected = naive_evaluate(program, tokens, offset)
        for d in program.definitions:
            got = values[d.name][b].tolist()
            assert got == expected[d.name], (str(program), tokens, offset, d.name)


@SETTINGS
@given(programs(), st.lists(st.lists(st.sampled_from(INPUT_TOKENS), max_size=9), min_size=1, max_size=5), st.data())
def test_ragged_evaluation_with_per_string_offsets_agrees_with_naive_oracle(program, strings, data) -> None:
    offsets = data.draw(st.lists(st.integers(0, 7), min_size=len(strings), max_size=len(strings)))
    results = evaluate_ragged(program, strings, offsets)
    for tokens, off, res in zip(strings, offsets, results):
        expected = naive_evaluate(program, tokens, off)
        for d in program.definitions:
            assert res[d.name].tolist() == expected[d.name]


@SETTINGS
@given(programs())
def test_printing_a_program_and_parsing_it_back_gives_the_same_program(program) -> None:
    text = program.to_text()
    again = parse(text)
    assert again == program, text
    assert again.to_text() == text


@SETTINGS
@given(programs(), batches(max_len=8, max_batch=2))
def test_values_have_the_documented_shapes_and_dtypes(program, batch) -> None:
    values = evaluate(program, batch)
    for d in program.definitions:
        v = values[d.name]
        assert v.shape == (len(batch), len(batch[0]))
        assert v.dtype == (np.bool_ if d.type is Type.BOOL else np.int64)


@settings(max_examples=25, deadline=None)
@given(programs(max_definitions=4), st.integers(1, 3), st.integers(0, 5))
def test_large_batches_evaluated_block_by_block_match_small_ones(program, scale, offset) -> None:
    import lengen.crasp.interpreter as interp

    rng = np.random.default_rng(scale)
    batch = [list(rng.choice(list(INPUT_TOKENS), size=7)) for _ in range(12 * scale)]
    whole = evaluate(program, batch, offset)
    old = interp.CHUNK_ELEMENTS
    interp.CHUNK_ELEMENTS = 14  # two strings per block
    try:
        blocks = evaluate(program, batch, offset)
    finally:
        interp.CHUNK_ELEMENTS = old
    for name in whole:
        assert np.array_equal(whole[name], blocks[name])
