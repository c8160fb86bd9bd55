"""Runs trained together (``lengen.experiments.stacked_runs``) against separate ``train`` runs.

The oracle is :func:`lengen.train.train`: a stacked run must stop where its separate twin stops,
end with its weights (up to float32 rounding), report its accuracies, and leave checkpoints that
either side can resume.  Every run is tiny (at most 40 steps of a 1-layer d=16 model)."""

from pathlib import Path

import numpy as np
import pytest
import torch

import lengen.experiments.stacked_runs as stacked_runs
import lengen.train as train_module
from lengen.evaluate import correctness
from lengen.experiments.batched import StackedSeeds, max_weight_difference
from lengen.experiments.stacked_runs import check_stackable, train_stacked
from lengen.files import load_torch
from lengen.tasks import get_task
from lengen.train import Callback, TrainConfig, early_stop_set, train

SEEDS = (0, 1, 2)


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def cfg(seed: int, **kw) -> TrainConfig:
    base = dict(task="bin_majority", steps=40, eval_every=10, eval_examples=20, early_stop_examples=20,
                bins=[(1, 8), (9, 16)], train_range=(1, 8), device="cpu", checkpoint_every=10, seed=seed)
    base.update(kw)
    return TrainConfig(**base)


def weights(d: Path) -> dict:
    return load_torch(d / "checkpoint.pt")["model"]


def assert_same_run(stacked: dict, separate: dict, d_stacked: Path, d_separate: Path) -> None:
    assert stacked["steps"] == separate["steps"]
    assert stacked["stopped_early"] == separate["stopped_early"]
    assert stacked["accuracy"] == separate["accuracy"]
    assert [h["id_accuracy"] for h in stacked["history"]] == [h["id_accuracy"] for h in separate["history"]]
    assert stacked["config"] == separate["config"]
    assert max_weight_difference(weights(d_stacked), weights(d_separate)) < 1e-4


@pytest.fixture
def seed1_passes_its_check(monkeypatch):
    """Seed 1's early-stopping check reports 100% (its real accuracy otherwise), in train and in the
    stack alike, so that one run of the stack stops at the first check and the others go on."""
    marker = early_stop_set(get_task("bin_majority"), cfg(1))

    def fake(model, task, examples, batch_size=256):
        out = correctness(model, task, examples, batch_size)
        return np.ones_like(out) if list(examples) == marker else out

    monkeypatch.setattr(train_module, "correctness", fake)
    monkeypatch.setattr(stacked_runs, "correctness", fake)


@pytest.mark.parametrize("data_workers", [0, 1])
def test_a_stack_gives_the_runs_of_separate_training_and_a_run_that_stops_leaves_it(
        tmp_path, seed1_passes_its_check, data_workers):
    """With data_workers=1 the batches come from a data process, restarted when seed 1 leaves."""
    cfgs = [cfg(s) for s in SEEDS]
    results = train_stacked(cfgs, [tmp_path / f"stack-{s}" for s in SEEDS], device="cpu", data_workers=data_workers)
    for c, res in zip(cfgs, results):
        ref = train(c, out_dir=tmp_path / f"alone-{c.seed}", progress=False).result
        assert_same_run(res, ref, tmp_path / f"stack-{c.seed}", tmp_path / f"alone-{c.seed}")
        assert res["stack"]["seeds"] == list(SEEDS)
        assert (tmp_path / f"stack-{c.seed}" / "result.json").exists()
    assert [r["steps"] for r in results] == [40, 10, 40] and results[1]["stopped_early"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda_a_stack_stops_where_separate_runs_stop_and_ends_near_their_weights(tmp_path, seed1_passes_its_check):
    """On CUDA both paths train in bf16 autocast, whose rounding depends on the shapes of the
    products (batched or not): the same stops, weights equal to bf16 precision, batches from a
    data process."""
    cfgs = [cfg(s, device="cuda") for s in SEEDS]
    results = train_stacked(cfgs, [tmp_path / f"stack-{s}" for s in SEEDS], device="cuda", data_workers=1)
    for c, res in zip(cfgs, results):
        ref = train(c, out_dir=tmp_path / f"alone-{c.seed}", progress=False).result
        assert (res["steps"], res["stopped_early"]) == (ref["steps"], ref["stopped_early"])
        assert res["config"] == ref["config"] and res["device"] == ref["device"]
        assert max_weight_difference(weights(tmp_path / f"stack-{c.seed}"), weights(tmp_path / f"alone-{c.seed}")) < 5e-2
    assert [r["steps"] for r in results] == [40, 10, 40]


def test_an_interrupted_stack_resumes_run_by_run_and_together(tmp_path, monkeypatch):
    """Interrupt a stack at step 25 (checkpoints at 20), resume seed 0 alone with train, and seed 1
    together with seed 2, which was interrupted under train: all three end as uninterrupted runs."""
    real_step = StackedSeeds.step

    def interrupted_step(self):
        if self.step_count == 25:
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(StackedSeeds, "step", interrupted_step)
    with pytest.raises(KeyboardInterrupt):
        train_stacked([cfg(0), cfg(1)], [tmp_path / "run-0", tmp_path / "run-1"], device="cpu")
    monkeypatch.setattr(StackedSeeds, "step", real_step)

    class Stop(Callback):
        def on_step(self, step, loss):
            if step == 25:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(cfg(2), out_dir=tmp_path / "run-2", callbacks=[Stop()], progress=False)
    for s in SEEDS:
        assert load_torch(tmp_path / f"run-{s}" / "checkpoint.pt")["step"] == 20
        assert not (tmp_path / f"run-{s}" / "result.json").exists()

    resumed = {0: train(cfg(0), out_dir=tmp_path / "run-0", progress=False).result}
    r1, r2 = train_stacked([cfg(1), cfg(2)], [tmp_path / "run-1", tmp_path / "run-2"], device="cpu")
    resumed.update({1: r1, 2: r2})
    assert r1["stack"]["seeds"] == [1, 2]
    for s in SEEDS:
        ref = train(cfg(s), out_dir=tmp_path / f"alone-{s}", progress=False).result
        assert_same_run(resumed[s], ref, tmp_path / f"run-{s}", tmp_path / f"alone-{s}")


def test_finished_runs_are_only_evaluated_again(tmp_path):
    dirs = [tmp_path / "a", tmp_path / "b"]
    first = train_stacked([cfg(0, steps=10), cfg(1, steps=10)], dirs, device="cpu")
    again = train_stacked([cfg(0, steps=10), cfg(1, steps=10)], dirs, device="cpu")
    assert [r["accuracy"] for r in again] == [r["accuracy"] for r in first]
    assert [r["steps"] for r in again] == [10, 10]


def test_only_runs_that_differ_in_seed_and_learning_rate_can_be_stacked():
    check_stackable([cfg(0), cfg(5), cfg(0, lr=1e-4)])
    with pytest.raises(ValueError, match="differ only in the seed and the learning rate; these differ in batch_size, "
                                         "d_model"):
        check_stackable([cfg(0), cfg(1, d_model=32, batch_size=8, lr=1e-4)])
    with pytest.raises(ValueError, match="must be distinct runs"):
        check_stackable([cfg(3), cfg(3)])
    with pytest.raises(ValueError, match="2 configurations but 1 output"):
        train_stacked([cfg(0), cfg(1)], ["x"], device="cpu")


def test_the_stream_state_follows_the_data_processes():
    """With a data process drawing the batches, the saved stream state is the one after the batches
    used, so a checkpoint resumes the same stream."""
    c = cfg(0, steps=5)
    with StackedSeeds(c, [0, 1], "cpu", data_workers=1) as st:
        st.train(3)
        states = [st.stream_state(k) for k in range(2)]
    for k, s in enumerate([0, 1]):
        rng = np.random.default_rng([s, 1])
        task = get_task("bin_majority")
        for _ in range(3):
            task.batch(rng, c.batch_size, *c.train_range, offsets=True, n_positions=task.n_positions)
        assert states[k] == rng.bit_generator.state


def test_runs_leaving_a_stack_keep_its_data_processes_running_and_its_batches_unchanged():
    """keep() goes on with the running data processes (a restart costs a process start-up), stops
    those left with no model, and every remaining model gets the batches drawing here would give."""
    c = cfg(0, steps=10)
    with StackedSeeds(c, [0, 1, 2], "cpu", data_workers=3) as st, StackedSeeds(c, [0, 1, 2], "cpu") as ref:
        st.train(2)
        procs = [pr[2] for pr in st._producers]
        ref.train(2)
        for s in (st, ref):
            s.keep([0, 2])
        assert st._producers[1] is None and procs_alive(st) == [True, None, True]
        for _ in range(3):
            got, want = st.next_batch(), ref.next_batch()
            assert all(torch.equal(a, b) for a, b in zip(got, want))
        assert [st.stream_state(k) for k in range(2)] == [ref.stream_state(k) for k in range(2)]
        st.keep([1])  # seed 2 alone: data process 0 stops, 2 goes on
        ref.keep([1])
        assert procs_alive(st) == [None, None, True]
        assert all(torch.equal(a, b) for a, b in zip(st.next_batch(), ref.next_batch()))
    assert len(procs) == 3 and not any(p.is_alive() for p in procs)


def procs_alive(st: StackedSeeds) -> list:
    return [None if pr is None else pr[2].is_alive() for pr in st._producers]


def test_learning_rates_of_one_shape_train_together_as_separate_runs_would(tmp_path):
    """The sweep's case: one seed, two learning rates (and a third run with another seed)."""
    cfgs = [cfg(0, lr=1e-3), cfg(0, lr=1e-4), cfg(1, lr=3e-3)]
    results = train_stacked(cfgs, [tmp_path / f"stack-{i}" for i in range(3)], device="cpu")
    for i, (c, res) in enumerate(zip(cfgs, results)):
        ref = train(c, out_dir=tmp_path / f"alone-{i}", progress=False).result
        assert_same_run(res, ref, tmp_path / f"stack-{i}", tmp_path / f"alone-{i}")
        assert res["stack"]["lrs"] == [1e-3, 1e-4, 3e-3]
    assert max_weight_difference(weights(tmp_path / "stack-0"), weights(tmp_path / "stack-1")) > 1e-3
