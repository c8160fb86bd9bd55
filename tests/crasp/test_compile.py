"""The C-RASP compiler: compiled transformers agree with the interpreter (the oracle) everywhere.

Set LENGEN_FULL_COMPILE_CHECK=1 to also run every library program at length 10,000 (minutes).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lengen.crasp import evaluate, library, parse
from lengen.crasp.compiler import (
    FRONTIER_PROGRAM,
    CompileError,
    CompiledModel,
    add_compile_parser,
    balanced_inputs,
    compile,
    float32_frontier,
    random_inputs,
    run_inputs,
    verify,
)
from lengen.tasks import get_task

from .strategies import programs

BIG = ("sort", "unique_copy", "majority", "unique_copy.nope")  # vocabularies of 26 or 150 tokens
LIBRARY = library.names() + ["unique_copy.nope"]
VOCAB = ["<pad>", "<bos>", "a", "b", "0", "z"]  # the tokens of the random programs (z: never tested)

@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One BLAS thread: on a shared 2-core machine two threads can be 50x slower for these small products."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


_CACHE: dict[str, CompiledModel] = {}


def compiled(name: str) -> CompiledModel:
    """The library program compiled for its task (logits = the task's outputs); cached."""
    if name not in _CACHE:
        _CACHE[name] = compile(library.load(name), task=get_task(name.split(".")[0]))
    return _CACHE[name]


def assert_agrees(c: CompiledModel, **kw) -> None:  # type: ignore[no-untyped-def]
    rep = verify(c, **kw)
    assert rep.ok, rep.summary()


# -- the library ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LIBRARY)
def test_library_program_agrees_with_the_interpreter_at_every_position(name):
    c = compiled(name)
    lengths = (1, 40) if name in BIG else (1, 2, 3, 4, 6, 9, 17, 60, 400)
    assert_agrees(c, lengths=lengths, n_per_length=1 if name in BIG else 3, seed=1)
    # and on the task's own examples (valid strings keep counters and star-free languages alive)
    task = get_task(name.split(".")[0])
    rng = np.random.default_rng(0)
    lengths = [n for n in range(max(task.min_length, 0), 41) if task.feasible(n)][::7][: 1 if name in BIG else 4]
    examples = [task.example(rng, n).inputs for n in lengths for _ in range(2)]
    assert_agrees(c, inputs=examples)


@pytest.mark.parametrize(("name", "length"), [("bin_majority", 10_000), ("tomita4", 3000), ("aa_star", 3000)])
def test_library_program_on_long_inputs_in_float64(name, length):
    c = compiled(name)
    rep = verify(c, lengths=(length,), n_per_length=1, seed=2)
    assert rep.ok, rep.summary()
    assert rep.slot_error < 1e-6 and rep.bool_margin < 1e-9


@pytest.mark.skipif(not os.environ.get("LENGEN_FULL_COMPILE_CHECK"), reason="set LENGEN_FULL_COMPILE_CHECK=1 (minutes)")
@pytest.mark.parametrize("name", LIBRARY)
def test_full_library_at_length_10000(name):
    rep = verify(compiled(name), lengths=(10_000,), n_per_length=2, seed=3)
    assert rep.ok, rep.summary()


@pytest.mark.parametrize("name", ["bin_majority", "majority", "dyck1", "aa_star", "tomita4", "unique_copy", "d2"])
def test_compiled_model_solves_the_task_like_a_trained_model(name):
    """The logits: argmax is the task's target at every supervised position (lengen.evaluate)."""
    from lengen.evaluate import correctness

    task = get_task(name)
    rng = np.random.default_rng(0)
    lengths = [n for n in range(max(task.min_length, 1), 61) if task.feasible(n)][:: 25 if name in BIG else 5]
    examples = [task.example(rng, n) for n in lengths]
    assert correctness(compiled(name).model, task, examples).all()


# -- the two known failure classes of compilers: numeric drift and silent mis-compilation ------------------


def test_counts_compared_at_equality_where_one_over_i_is_tiny():
    """Length 10,000: the margin 1/(2i) of a comparison is 5e-5, of the order of float32's precision."""
    c = compile(FRONTIER_PROGRAM, ["<pad>", "<bos>", "0", "1"])
    inputs = [balanced_inputs(10_000, seed=0), run_inputs(10_000, 2)]
    rep = verify(c, inputs=inputs, offsets=[0, 0])
    assert rep.ok and rep.slot_error < 1e-6, rep.summary()
    values = c.run(inputs[0])
    assert values["same"].sum() > 4000 and values["more"].sum() > 2000  # equality really is exercised
    # float32: exact below its frontier (about 5,800 positions), but visibly drifting
    rep32 = verify(c, inputs=[run_inputs(3000, 2), balanced_inputs(3000)], offsets=[0, 0], dtype=torch.float32)
    assert rep32.ok, rep32.summary()
    assert 1e-3 < rep32.slot_error < 0.5


def test_float32_frontier_function():
    assert float32_frontier(1500) == {"length": 1500, "first_boolean_error": None, "first_count_error": None}


def test_the_else_branch_of_a_conditional_count_matters():
    prog = parse("""
        na   := #[j <= i] Q(a)
        nb   := #[j <= i] Q(b)
        c    := Q(a) ? na - 1 : 2 * nb + 3          // the else branch is the larger one
        d    := not Q(a) ? (Q(b) ? nb : 7) : 0       // nested, with a constant default
        lt   := c < d
        le   := c <= nb + na
        eq   := c == 2 * nb + 3
        ne   := d != 7
        gt   := (Q(b) ? na : nb) > 2
        ge   := #[j <= i] (c >= 4) >= 2
    """)
    c = compile(prog, VOCAB)
    rng = np.random.default_rng(0)
    inputs = [random_inputs(c, rng, n) for n in (1, 2, 3, 5, 8, 13, 50, 300) for _ in range(3)]
    assert_agrees(c, inputs=inputs)
    values = evaluate(prog, [inputs[-1]])
    assert values["d"][0].tolist().count(7) > 0 and values["c"][0].min() < values["c"][0].max()


@pytest.mark.parametrize("op", ["<", "<=", "==", "!=", ">", ">="])
def test_every_comparison_at_and_around_equality(op):
    prog = parse(f"""
        x  := #[j <= i] Q(a)
        y  := #[j <= i] Q(b)
        c1 := x {op} y
        c2 := x {op} 3
        c3 := 2 * x - 1 {op} y + #[j <= i, j == i - 1] Q(a)
        c4 := #[j <= i, j == i - 1] Q(a) {op} #[j <= i, i - j <= 2] Q(b)
    """)
    c = compile(prog, VOCAB)
    words = [["<bos>"] + list(w) for w in ["", "a", "b", "ab", "ba", "aab", "abab", "aaabbb", "babaab"]]
    assert_agrees(c, inputs=words + [balanced_inputs(400, seed=3, a="a", b="b")])


def test_local_counts_at_the_start_of_the_string():
    """j == i - k has no position while i <= k; windows are cut at position 1."""
    defs = [f"s{k} := #[j <= i, j == i - {k}] Q(a)" for k in range(5)]
    defs += [f"w{k} := #[j <= i, i - j <= {k}] (Q(a) or Q(<bos>))" for k in range(4)]
    defs += ["p := exists[j <= i, j == i - 3] Q(<bos>)", "q := s2 + w3 > 2"]
    c = compile(parse("\n".join(defs)), VOCAB)
    words = [["<bos>"] + ["a"] * n for n in range(9)] + [["<bos>"] + list("abab0aab")]
    assert_agrees(c, inputs=words)
    assert c.layout.window == 4


def test_periodic_predicates_at_every_phase():
    prog = parse("""
        e   := i % 2 == 0
        t   := i % 3 == 1
        b0  := exists[j <= i] (Q(<bos>) and j % 6 == 0)
        n   := #[j <= i] (j % 3 == 2 and Q(a))
        acc := b0 or (t and n > 1)
    """)
    c = compile(prog, VOCAB)
    assert c.layout.period == 6
    word = ["<bos>"] + list("aabaabbaaa")
    assert_agrees(c, inputs=[word] * 12, offsets=list(range(12)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_definitions=6, max_depth=3), st.integers(0, 2**31 - 1))
def test_random_programs_agree_with_the_interpreter(program, seed):
    c = compile(program, VOCAB)
    assert_agrees(c, lengths=(1, 2, 3, 5, 9, 30), n_per_length=2, seed=seed)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_definitions=6, max_depth=3), st.integers(0, 2**31 - 1))
def test_random_programs_at_length_10000(program, seed):
    c = compile(program, VOCAB)
    rep = verify(c, lengths=(10_000,), n_per_length=1, seed=seed)
    assert rep.ok, rep.summary() + "\n" + str(program)


# -- export to an APE GPT ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tomita4", "aa_star", "bin_majority", "boolean3", "bin_majority_interleave"])
def test_export_to_an_ape_gpt_agrees_up_to_its_length(name):
    c = compiled(name).to_ape(300)
    assert c.model.cfg.pe == "ape" and c.model.cfg.n_positions == 300 and type(c.model).__name__ == "GPT"
    assert_agrees(c, lengths=(1, 2, 3, 5, 9, 40, 300), n_per_length=2, seed=4)


def test_ape_export_realizes_phi_through_positional_products():
    c = compile(parse("prev := exists[j <= i, j == i - 2] Q(a)"), VOCAB).to_ape(64)
    M = c.model.positional_products()  # (L, H, N, N): p_i W_Q W_K^T p_j (query i, key j)
    layer, head = next((l, h) for l in range(M.shape[0]) for h in range(M.shape[1]) if M[l, h].abs().max() > 0)
    m = M[layer, head]
    for i in range(2, 64):
        row = m[i, : i + 1]
        assert int(row.argmax()) == i - 2
        assert row.max() - torch.cat([row[: i - 2], row[i - 1:]]).max() >= 59.9  # the margin of φ
    with pytest.raises(CompileError, match="at most 64"):
        c.run(["<bos>"] + ["a"] * 70)
    with pytest.raises(CompileError, match="64 positions"):
        c.run(["<bos>"] + ["a"] * 10, offset=60)


# -- validation, inputs, summary, command line ---------------------------------------------------------------


def test_the_validator_names_the_construct():
    with pytest.raises(CompileError, match="<bos>"):
        compile(parse("x := Q(a)"), ["<pad>", "a"])
    with pytest.raises(CompileError, match=r"Q\(c\)"):
        compile(parse("x := Q(a)\ny := not Q(c)"), VOCAB)
    with pytest.raises(CompileError, match="period"):
        compile(parse("x := i % 97 == 1 and i % 89 == 2"), VOCAB)
    with pytest.raises(CompileError, match="looks 100 positions back"):
        compile(parse("x := #[j <= i, j == i - 100] Q(a)"), VOCAB)


def test_inputs_must_start_with_bos():
    c = compile(parse("x := #[j <= i] Q(a) > 1"), VOCAB)
    with pytest.raises(CompileError, match="start with"):
        c.run("a a")
    with pytest.raises(CompileError, match="second"):
        c.run("<bos> a <bos>")
    with pytest.raises(CompileError, match="vocabulary"):
        c.run("<bos> q")


def test_summary_reports_layers_heads_and_width():
    c = compiled("tomita4")
    s = c.summary_dict()
    assert s["layers"] == c.model.cfg.n_layer and s["heads"] == c.model.cfg.n_head
    assert s["d_model"] == c.model.cfg.d_model >= s["width_used"] and s["window"] == 2
    text = c.summary()
    assert "layers" in text and "shift-1 head" in text and "shift-2 head" in text


def test_docstring_examples_run():
    import doctest

    import lengen.crasp.compiler
    import lengen.limit

    for module in (lengen.crasp.compiler, lengen.limit):
        failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert tried > 0 and failures == 0


def _cli(argv, capsys):  # type: ignore[no-untyped-def]
    import argparse

    parser = argparse.ArgumentParser(prog="lengen")
    add_compile_parser(parser.add_subparsers(dest="crasp_command"))
    args = parser.parse_args(argv)
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_compile_and_check(capsys, tmp_path):
    code, out, _ = _cli(["compile", "bin_majority", "--check", "--max-len", "300"], capsys)
    assert code == 0 and "ok:" in out and "1 layer," in out
    code, out, _ = _cli(["compile", "tomita4", "--check", "--max-len", "120", "--ape", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["check"]["ok"] and data["summary"]["model"] == "APE GPT"
    code, out, _ = _cli(["compile", "dyck1", "--check", "--max-len", "200", "--dtype", "float32"], capsys)
    assert code == 0
    f = tmp_path / "bad.crasp"
    f.write_text("x := #[j <= i] Q(a) +\n")
    code, out, err = _cli(["compile", str(f), "--check"], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err and "syntax" in err
    code, out, err = _cli(["compile", str(tmp_path / "missing.crasp")], capsys)
    assert code == 2 and "no such file" in err
    f.write_text("x := #[j <= i, j == i - 500] Q(a)\n")
    code, out, err = _cli(["compile", str(f)], capsys)
    assert code == 2 and "500 positions back" in err


def test_cli_exit_status_1_when_the_check_fails(capsys, monkeypatch):
    import importlib

    mod = importlib.import_module("lengen.crasp.compiler.checking")

    real = mod.verify

    def broken(c, **kw):  # type: ignore[no-untyped-def]
        rep = real(c, **kw)
        rep.ok, rep.mismatch = False, {"definition": "ones", "position": 1}
        return rep

    monkeypatch.setattr(mod, "verify", broken)
    code, out, _ = _cli(["compile", "bin_majority", "--check", "--max-len", "20"], capsys)
    assert code == 1 and "FAILED" in out
