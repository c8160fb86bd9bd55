"""Tasks of your own: a predicate turned into a trainable task (lengen.tasks.custom)."""

from __future__ import annotations

import numpy as np
import pytest

from lengen.tasks import BOS, Prediction, TaskError, get_task, task_names
from lengen.tasks.custom import PredicateLanguage, predicate_task, remove_task
from lengen.tasks.languages import IN, OUT
from lengen.train import TrainConfig, train

NAME = "test_more_a"


@pytest.fixture
def more_a():
    task = predicate_task(lambda s: s.count("a") > s.count("b"), "ab", NAME)
    try:
        yield task
    finally:
        remove_task(NAME)
    assert NAME not in task_names()


def test_examples_label_every_prefix(more_a):
    assert get_task(NAME) is more_a and NAME in task_names("custom") and NAME not in task_names("language")
    assert more_a.labels(list("abba")) == [OUT, IN, OUT, OUT, OUT]
    rng = np.random.default_rng(0)
    for n in (1, 5, 30):
        ex = more_a.example(rng, n)
        assert ex.length == n and ex.inputs[0] == BOS and len(ex.inputs) == n + 1
        word = ex.inputs[1:]
        assert ex.targets == [IN if word[:t].count("a") > word[:t].count("b") else OUT for t in range(n + 1)]
        assert all(t in more_a.vocab for t in ex.inputs + ex.targets)
    assert more_a.n_positions == 151 and more_a.accepts(list("aab")) and not more_a.accepts(list("ab"))


def test_none_labels_are_unsupervised():
    task = predicate_task(lambda s: None if len(s) % 2 else s.count("a") > s.count("b"), "ab", NAME)
    try:
        ex = task.example(np.random.default_rng(1), 5)
        assert [t is None for t in ex.targets] == [False, True, False, True, False, True]
    finally:
        remove_task(NAME)


def test_errors():
    with pytest.raises(TaskError, match="lengen's tasks"):
        predicate_task(lambda s: True, "ab", "bin_majority")
    with pytest.raises(TaskError, match="bool"):
        predicate_task(lambda s: len(s), "ab", NAME)
    assert NAME not in task_names()
    with pytest.raises(TaskError, match="raised"):
        predicate_task(lambda s: s[0] == "a", "ab", NAME)  # fails on the empty string
    with pytest.raises(TaskError, match="single characters"):
        PredicateLanguage(lambda s: True, ["ab"], NAME)
    with pytest.raises(TaskError, match="cannot be removed"):
        remove_task("bin_majority")
    remove_task("never_registered")  # a no-op


def test_replacing_and_prediction(more_a):
    p = Prediction(ape=True, nope=True, reason="a C-RASP[] program", source="search")
    again = predicate_task(lambda s: s.count("a") >= s.count("b"), "ab", NAME, prediction=p)
    assert get_task(NAME) is again and again is not more_a
    assert again.predicted() == p
    assert more_a.predicted().source == "none"


def test_trains_with_the_standard_loop(more_a):
    cfg = TrainConfig(task=NAME, steps=20, eval_every=10, eval_examples=20, early_stop_examples=20,
                      bins=[(0, 10), (11, 20)], train_range=(0, 10), seed=0, device="cpu")
    out = train(cfg, progress=False)
    assert out.result["steps"] == 20 and set(out.result["accuracy"]) == {"[0,10]", "[11,20]"}
    assert out.result["prediction"]["source"] == "none"
