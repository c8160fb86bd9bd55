"""Tests of the task interface and of the 8 algorithmic tasks (formats, lengths, answers, batching).

Formal and counter languages get their language-specific checks in ``test_languages.py``; the
interface checks here run on every registered task.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch

from lengen.tasks import (
    BOS, EOS, IGNORE_INDEX, PAD, SEP, Prediction, TaskError, UnknownTaskError, all_tasks, get_task, task_names,
)

SEED = 1234

ALGORITHMIC = ["bin_majority", "bin_majority_interleave", "majority", "sort", "unique_copy", "repeat_copy",
               "parity", "addition"]
LANGUAGES = ["aa_star", "aaaa_star", "abab_star", "tomita3", "tomita5", "tomita6", "d2", "d3", "d4", "d12",
             "tomita1", "tomita2", "tomita4", "tomita7", "abcde_star", "ab_d_bc", "zot_02_star"]
COUNTER = ["dyck1", "shuffle2", "anbn", "anbncn", "anbncndn", "boolean3", "boolean5"]

# The authors' GPT-2 n_positions (addition "about 300" = 2 * 150).  They feed the full
# sequence including the final <eos>; lengen feeds it without its last token, so its n_positions is
# one smaller while the offset ranges coincide with the authors'.
AUTHORS_N_POSITIONS = {"bin_majority": 154, "majority": 154, "parity": 154, "bin_majority_interleave": 156,
                       "sort": 303, "unique_copy": 303, "repeat_copy": 303, "addition": 300}

# (ape, nope) from the paper's tables
PAPER_FLAGS = {
    "bin_majority": (True, True), "bin_majority_interleave": (True, False), "majority": (True, True),
    "sort": (True, True), "unique_copy": (True, False), "repeat_copy": (False, False), "parity": (False, False),
    "addition": (False, False),
    "aa_star": (True, False), "aaaa_star": (True, False), "abab_star": (True, False), "tomita3": (False, False),
    "tomita5": (False, False), "tomita6": (False, False), "d2": (True, True), "d3": (True, True),
    "d4": (True, True), "d12": (True, True), "tomita1": (True, True), "tomita2": (True, True),
    "tomita4": (True, False), "tomita7": (True, True), "abcde_star": (True, True), "ab_d_bc": (True, True),
    "zot_02_star": (False, False),
}


def rng(offset: int = 0) -> np.random.Generator:
    return np.random.default_rng(SEED + offset)


def probe_lengths(task) -> list[int]:
    """Min length, a few small/medium/bin-edge lengths and the largest feasible length <= 150."""
    cands = {task.min_length, task.min_length + 1, 7, 50, 51, 100, 101, 149, 150}
    top = max(n for n in range(task.max_length + 1) if task.feasible(n))
    cands.add(top)
    return sorted(n for n in cands if n <= task.max_length and task.feasible(n))


def split(task, ex):
    """(input symbols, answer tokens) of an algorithmic example, read off inputs/targets."""
    k = ex.inputs.index(task.separator)
    x = ex.inputs[1:k + 1] if task.separator == "=" else ex.inputs[1:k]  # '=' counts towards the length
    answer = [t for t in ex.targets if t is not None]
    assert answer[-1] == EOS
    return x, answer[:-1]


# --------------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------------
def test_registry_lists_tasks_in_paper_order_by_kind():
    assert task_names("algorithmic") == ALGORITHMIC
    assert task_names("language") == LANGUAGES
    assert task_names("counter") == COUNTER
    assert [get_task(n).figure_index for n in LANGUAGES] == list(range(1, 18))


def test_unknown_task_name_raises_unknown_task_error():
    with pytest.raises(UnknownTaskError, match="no_such_task"):
        get_task("no_such_task")


@pytest.mark.parametrize("name", ALGORITHMIC + LANGUAGES)
def test_prediction_flags_match_the_paper_table(name):
    p = get_task(name).prediction
    assert isinstance(p, Prediction)
    assert (p.ape, p.nope) == PAPER_FLAGS[name]
    assert p.source == "paper" and p.reason and "\n" not in p.reason


@pytest.mark.parametrize("name", COUNTER)
def test_counter_language_predictions_are_marked_as_lengens_own_reasoning(name):
    p = get_task(name).prediction
    assert p.source == "reasoned" and "lengen" in p.reason
    assert (p.ape, p.nope) == (True, True)


def test_every_task_documents_its_encoding():
    for task in all_tasks():
        doc = type(task).__doc__ or ""
        assert "xample" in doc and len(doc) > 150, task.name


# --------------------------------------------------------------------------------------------
# interface checks on every task
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", task_names())
def test_examples_have_exact_length_matching_inputs_targets_and_known_tokens(name):
    task = get_task(name)
    r = rng()
    for n in probe_lengths(task):
        for _ in range(3):
            ex = task.example(r, n)
            assert ex.length == n
            assert len(ex.inputs) == len(ex.targets)
            assert ex.inputs[0] == BOS
            if name == "addition":  # the sum may be shorter than the longest one
                assert len(ex.inputs) <= task.sequence_length(n)
            else:
                assert len(ex.inputs) == task.sequence_length(n)
            assert all(t in task.vocab for t in ex.inputs)
            assert all(t in task.vocab for t in ex.targets if t is not None)
            if task.kind == "algorithmic":
                x, _ = split(task, ex)
                assert len(x) == n
            else:
                assert len(ex.inputs) == n + 1 and all(t is not None for t in ex.targets)


@pytest.mark.parametrize("name", task_names())
def test_vocab_has_pad_first_and_n_positions_covers_the_longest_example(name):
    task = get_task(name)
    assert task.vocab.tokens[0] == PAD
    top = max(n for n in range(task.max_length + 1) if task.feasible(n))
    assert task.n_positions == task.sequence_length(top)
    assert task.n_positions >= max(task.sequence_length(n) for n in range(task.min_length, 151) if task.feasible(n))


@pytest.mark.parametrize("name", task_names())
def test_same_seed_gives_same_examples(name):
    task = get_task(name)
    a = task.sample(rng(5), 0, 60, 4)
    b = task.sample(rng(5), 0, 60, 4)
    assert [(e.inputs, e.targets) for e in a] == [(e.inputs, e.targets) for e in b]


@pytest.mark.parametrize("name", task_names())
def test_impossible_length_range_raises_task_error(name):
    task = get_task(name)
    with pytest.raises(TaskError, match="impossible length range"):
        task.sample(rng(), 10, 5, 1)
    below = task.min_length - 1
    if below >= 0:
        with pytest.raises(TaskError):
            task.feasible_lengths(0, below)
        with pytest.raises(TaskError):
            task.example(rng(), below)


@pytest.mark.parametrize("name", task_names())
def test_unknown_token_raises_task_error_naming_it(name):
    task = get_task(name)
    with pytest.raises(TaskError, match="zzz_unknown"):
        task.vocab.encode([BOS, "zzz_unknown"])
    if task.kind == "algorithmic":
        with pytest.raises(TaskError, match="zzz_unknown"):
            task.answer(["zzz_unknown"])
    else:
        with pytest.raises(TaskError, match="zzz_unknown"):
            task.labels(["zzz_unknown"])


@pytest.mark.parametrize("name", task_names())
def test_random_offsets_keep_positions_contiguous_and_below_n_positions(name):
    task = get_task(name)
    r = rng(7)
    batch = task.batch(r, 16, 0, 150, offsets=True)
    T = batch.inputs.shape[1]
    offsets = []
    for b in range(batch.inputs.shape[0]):
        t = int((batch.inputs[b] != 0).sum())  # <pad> (id 0) only appears as padding
        pos = batch.positions[b]
        assert int(pos.max()) < task.n_positions
        assert torch.equal(pos[:t], torch.arange(int(pos[0]), int(pos[0]) + t))
        assert torch.all(pos[t:] == pos[t - 1])  # padding repeats the last id
        assert 0 <= int(pos[0]) <= task.n_positions - t
        offsets.append(int(pos[0]))
    assert T <= task.n_positions
    assert len(set(offsets)) > 1  # offsets are actually random


@pytest.mark.parametrize("name", ["bin_majority", "sort", "addition", "tomita3", "dyck1"])
def test_collate_pads_inputs_targets_and_positions(name):
    task = get_task(name)
    r = rng(3)
    lo = task.min_length
    exs = [task.example(r, n) for n in task.feasible_lengths(lo, lo + 12)[:1] + task.feasible_lengths(40, 60)[:1]]
    batch = task.collate(exs)
    T = max(len(e.inputs) for e in exs)
    assert batch.inputs.shape == batch.targets.shape == batch.positions.shape == (2, T)
    assert batch.lengths.tolist() == [e.length for e in exs]
    for b, e in enumerate(exs):
        t = len(e.inputs)
        assert task.decode(batch.inputs[b, :t].tolist()) == e.inputs
        assert torch.all(batch.inputs[b, t:] == task.vocab.stoi[PAD])
        assert torch.all(batch.targets[b, t:] == IGNORE_INDEX)
        for k, y in enumerate(e.targets):
            assert int(batch.targets[b, k]) == (IGNORE_INDEX if y is None else task.vocab.stoi[y])
        assert batch.positions[b, :t].tolist() == list(range(t))  # no offsets without rng
        assert torch.all(batch.positions[b, t:] == t - 1)


def test_a_length_is_drawn_as_rng_choice_draws_it():
    """``Task.sample`` draws each length with ``rng.integers``; the numbers and the stream state
    after them are those of ``rng.choice`` over the feasible lengths (the draw of lengen <= 0.2)."""
    task = get_task("tomita4")
    for lo, hi in [(0, 50), (51, 100), (7, 7), (0, 150)]:
        a, b = rng(9), rng(9)
        lengths = task.feasible_lengths(lo, hi)
        want = []
        for _ in range(40):
            n = int(b.choice(lengths))
            want.append(n)
            task.example(b, n)
        assert [e.length for e in task.sample(a, lo, hi, 40)] == want
        assert a.bit_generator.state == b.bit_generator.state


@pytest.mark.parametrize("name", ALGORITHMIC + LANGUAGES + COUNTER)
def test_a_training_batch_draws_lengths_examples_then_offsets_in_that_order(name):
    """The training stream's order (which fixes every committed run): the examples, each length
    drawn just before its example, then one offset per example; int64 tensors."""
    task = get_task(name)
    N = task.n_positions
    batch = task.batch(rng(5), 16, 0, 50, offsets=True, n_positions=N)
    r = rng(5)
    exs = task.sample(r, 0, 50, 16)
    offsets = [int(r.integers(0, N - len(e.inputs) + 1)) for e in exs]
    assert all(t.dtype == torch.int64 for t in (batch.inputs, batch.targets, batch.positions, batch.lengths))
    for b, (e, off) in enumerate(zip(exs, offsets)):
        t = len(e.inputs)
        assert task.decode(batch.inputs[b, :t].tolist()) == e.inputs
        assert batch.positions[b, :t].tolist() == list(range(off, off + t))


# --------------------------------------------------------------------------------------------
# algorithmic tasks
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALGORITHMIC)
def test_n_positions_is_the_authors_value_minus_the_unfed_final_eos(name):
    task = get_task(name)
    assert task.n_positions == AUTHORS_N_POSITIONS[name] - 1
    longest_full_sequence = max(task.sequence_length(n) + 1 for n in range(task.min_length, 151) if task.feasible(n))
    assert longest_full_sequence == AUTHORS_N_POSITIONS[name]


@pytest.mark.parametrize("name", ALGORITHMIC)
def test_language_model_framing_supervises_exactly_the_answer_and_eos(name):
    task = get_task(name)
    r = rng(11)
    for n in probe_lengths(task):
        ex = task.example(r, n)
        x, y = split(task, ex)
        sup = [k for k, t in enumerate(ex.targets) if t is not None]
        assert len(sup) == len(y) + 1
        assert sup == list(range(len(ex.inputs) - len(y) - 1, len(ex.inputs)))  # a contiguous tail
        for k in sup[:-1]:
            assert ex.targets[k] == ex.inputs[k + 1]  # target = next token
        assert ex.targets[-1] == EOS
        assert ex.inputs[sup[0]] == task.separator
        assert task.answer(x) == y


def _reference_answer(name: str, x: list[str]) -> list[str]:
    """Independent re-implementations of the eight tasks."""
    if name == "bin_majority":
        c = Counter(x)
        assert c["0"] != c["1"]
        return ["1" if c["1"] > c["0"] else "0"]
    if name == "bin_majority_interleave":
        out = []
        for k in range(3):
            c = Counter(x[k::3])
            assert c["0"] != c["1"]
            out.append(max("01", key=lambda s: c[s]))
        return out
    if name == "majority":
        (top, n1), *rest = Counter(x).most_common()
        assert not rest or rest[0][1] < n1
        return [top]
    if name == "sort":
        return [str(v) for v in sorted(int(t) for t in x)]
    if name in ("unique_copy", "repeat_copy"):
        return list(x)
    if name == "parity":
        return ["o" if x.count("1") % 2 else "e"]
    if name == "addition":
        text = "".join(x)
        assert text.endswith("=")
        a, b = text[:-1].split("+")
        return list(bin(int(a, 2) + int(b, 2))[2:])
    raise KeyError(name)


@pytest.mark.parametrize("name", ALGORITHMIC)
def test_answers_match_an_independent_reimplementation(name):
    task = get_task(name)
    r = rng(21)
    for n in probe_lengths(task):
        for _ in range(10):
            x, y = split(task, task.example(r, n))
            assert y == _reference_answer(name, x)
    for ex in task.sample(r, 0, 150, 100):
        x, y = split(task, ex)
        assert y == _reference_answer(name, x)


@pytest.mark.parametrize("name", ["bin_majority", "bin_majority_interleave", "majority"])
def test_majority_tasks_never_produce_ties(name):
    task = get_task(name)
    r = rng(31)
    lengths = [n for n in (1, 2, 3, 4, 6, 12, 30, 60, 150) if task.feasible(n)]
    for n in lengths:
        for _ in range(150 if n <= 12 else 20):
            x, _ = split(task, task.example(r, n))
            groups = [x[k::3] for k in range(3)] if name == "bin_majority_interleave" else [x]
            for g in groups:
                counts = sorted(Counter(g).values(), reverse=True)
                assert len(counts) == 1 or counts[0] > counts[1], (n, g)


def test_majority_answer_rejects_a_tie():
    with pytest.raises(TaskError, match="tie"):
        get_task("bin_majority").answer(["0", "1"])
    with pytest.raises(TaskError, match="tie"):
        get_task("majority").answer(["a", "b", "b", "a"])


def test_interleave_only_admits_multiples_of_three_and_groups_by_residue():
    task = get_task("bin_majority_interleave")
    assert [n for n in range(0, 13) if task.feasible(n)] == [3, 6, 9, 12]
    assert task.feasible_lengths(51, 100)[0] == 51 and task.feasible_lengths(101, 150)[0] == 102
    with pytest.raises(TaskError):
        task.example(rng(), 10)
    x = list("100" "101" "110")  # group0 = 1 1 1, group1 = 0 0 1, group2 = 0 1 0
    assert task.answer(x) == ["1", "0", "0"]


@pytest.mark.parametrize("name", ["sort", "unique_copy"])
def test_sort_and_unique_copy_inputs_are_distinct_tokens(name):
    task = get_task(name)
    r = rng(41)
    for n in (1, 2, 75, 149, 150):
        x, _ = split(task, task.example(r, n))
        assert len(set(x)) == len(x) == n
        assert all(t in {str(i) for i in range(150)} for t in x)
    assert not task.feasible(151)


def test_repeat_copy_draws_from_a_and_b():
    x, y = split(get_task("repeat_copy"), get_task("repeat_copy").example(rng(), 150))
    assert set(x) == {"a", "b"} and y == x


def test_parity_admits_the_empty_input():
    task = get_task("parity")
    assert task.min_length == 0
    ex = task.example(rng(), 0)
    assert ex.inputs == [BOS, SEP, "e"] and ex.targets == [None, "e", EOS]


def test_addition_operands_and_sum_have_no_leading_zeros():
    task = get_task("addition")
    r = rng(51)
    seen_short = False
    for ex in task.sample(r, 4, 150, 300) + [task.example(r, 4) for _ in range(30)]:
        x, y = split(task, ex)
        text = "".join(x)
        assert text.count("+") == 1 and text.endswith("=") and text.count("=") == 1
        a, b = text[:-1].split("+")
        assert len(a) + len(b) + 2 == ex.length
        for op in (a, b, "".join(y)):
            assert op and set(op) <= {"0", "1"}
            assert len(op) == 1 or op[0] == "1"
        seen_short |= len(a) == 1 or len(b) == 1
        assert len(y) <= ex.length - 2  # sequence_length uses this longest sum
    assert seen_short
    # the longest sum is reached: 1...1 + 1 (length n - 3 and 1) -> n - 2 bits
    assert task.answer(list("111+1=")) == list("1000")
    with pytest.raises(TaskError, match="leading zero"):
        task.answer(list("01+1="))
    assert not task.feasible(3) and task.feasible(4)


def test_addition_example_in_the_docstring():
    ex = get_task("addition").make_example(list("101+11="), list("1000"), 7)
    assert ex.inputs == [BOS, *"101+11=", *"1000"]
    assert ex.targets == [None] * 7 + [*"1000", EOS]


def test_algorithmic_min_lengths_follow_the_authors_clamps():
    mins = {n: get_task(n).min_length for n in ALGORITHMIC}
    assert mins == {"bin_majority": 1, "bin_majority_interleave": 3, "majority": 1, "sort": 1, "unique_copy": 1,
                    "repeat_copy": 1, "parity": 0, "addition": 4}
