"""The training protocol, the exact-match metric, checkpoints and resuming."""

import json

import numpy as np
import pytest
import torch

from lengen.evaluate import evaluate_bins, exact_match, parse_bins, accuracy_by_length
from lengen.tasks import IGNORE_INDEX, TaskError, get_task
from lengen.train import Callback, TrainConfig, load_checkpoint, train


def small(**kw) -> TrainConfig:
    base = dict(task="bin_majority", steps=40, eval_every=20, eval_examples=50, early_stop_examples=50,
                checkpoint_every=10, bins=[(1, 10), (11, 20)], train_range=(1, 10))
    base.update(kw)
    return TrainConfig(**base)


def test_exact_match_needs_every_supervised_token_right():
    targets = torch.tensor([[IGNORE_INDEX, 2, 3], [IGNORE_INDEX, 2, 3], [IGNORE_INDEX, 2, 3]])
    logits = torch.zeros(3, 3, 5)
    logits[0, 1, 2] = logits[0, 2, 3] = 1  # both right
    logits[1, 1, 2] = logits[1, 2, 4] = 1  # last wrong
    logits[2, 0, 4] = logits[2, 1, 2] = logits[2, 2, 3] = 1  # unsupervised position wrong: still correct
    assert exact_match(logits, targets).tolist() == [True, False, True]


def test_parse_bins_reads_ranges_and_rejects_impossible_ones():
    assert parse_bins("0-50,51-100") == [(0, 50), (51, 100)]
    with pytest.raises(ValueError, match="impossible length range"):
        parse_bins("60-50")
    with pytest.raises(ValueError, match="LO-HI"):
        parse_bins("abc")


@pytest.mark.parametrize("field,value,match", [
    ("steps", 0, r"steps must be an integer >= 1, got 0 \(lengen train --steps\)"),
    ("eval_every", 0, r"eval_every must be an integer >= 1"),
    ("batch_size", 0, r"batch_size must be"),
    ("eval_examples", 0, r"eval_examples must be .*--examples"),
    ("early_stop_examples", 0, r"early_stop_examples must be"),
    ("curve_examples", -1, r"curve_examples must be an integer >= 0"),
    ("checkpoint_every", 0, r"checkpoint_every must be"),
    ("seed", -1, r"seed must be"),
    ("steps", 10.0, r"steps must be an integer"),
    ("lr", 0.0, r"lr must be a finite number > 0"),
    ("lr", float("inf"), r"lr must be a finite number"),
    ("reg", -1e-4, r"reg must be a finite number >= 0"),
    ("grad_clip", 0.0, r"grad_clip must be"),
    ("pe", "rope", r"pe must be 'ape' or 'nope'"),
    ("bins", [], r"bins must name at least one"),
])
def test_train_config_rejects_settings_that_cannot_run(field, value, match):
    with pytest.raises(ValueError, match=match):
        small(**{field: value})


def test_train_config_accepts_numpy_integers_and_round_trips():
    cfg = small(steps=np.int64(12), seed=np.int64(3))
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert small(grad_clip=float("inf")).grad_clip == float("inf")  # clipping off


def test_training_reduces_the_loss_and_writes_result_and_checkpoint(tmp_path):
    losses = []

    class Record(Callback):
        def on_step(self, step, loss):
            losses.append(loss)

    res = train(small(steps=60), out_dir=tmp_path, callbacks=[Record()], progress=False).result
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["accuracy"] == res["accuracy"]
    for key in ("config", "seed", "lengen_version", "device", "wall_seconds", "steps"):
        assert key in saved
    model, cfg, _ = load_checkpoint(tmp_path / "checkpoint.pt", "cpu")
    assert cfg.task == "bin_majority" and model.cfg.n_positions == get_task("bin_majority").n_positions


def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path):
    full = train(small(), out_dir=tmp_path / "full", progress=False).model

    class Interrupt(Callback):
        def on_step(self, step, loss):
            if step == 25:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(small(), out_dir=tmp_path / "cut", callbacks=[Interrupt()], progress=False)
    ck = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)
    assert ck["step"] == 20  # the last checkpoint before the interrupt
    resumed = train(small(), out_dir=tmp_path / "cut", progress=False).model
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6)


def test_resuming_with_another_configuration_is_refused(tmp_path):
    train(small(steps=10), out_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="different configuration"):
        train(small(steps=10, lr=1e-4), out_dir=tmp_path, progress=False)


def test_seeds_give_different_initializations_and_training_streams():
    a = train(small(steps=5, seed=0), progress=False)
    b = train(small(steps=5, seed=1), progress=False)
    c = train(small(steps=5, seed=0), progress=False)
    wa, wb, wc = (r.model.wte.weight.detach() for r in (a, b, c))
    assert not torch.allclose(wa, wb)
    assert torch.equal(wa, wc)  # same seed, same device: identical run


def test_training_stops_early_once_in_distribution_accuracy_is_perfect():
    res = train(small(steps=3000, eval_every=100, train_range=(1, 5), bins=[(1, 5)]), progress=False).result
    assert res["stopped_early"] and res["steps"] < 3000
    assert res["history"][-1]["id_accuracy"] == 1.0


def test_regularizer_shrinks_positional_products():
    plain = train(small(steps=60, lr=3e-3), progress=False).model
    reg = train(small(steps=60, lr=3e-3, reg=1e5), progress=False).model
    assert reg.positional_regularizer() < 0.5 * plain.positional_regularizer()


def test_impossible_training_range_is_a_clear_error():
    with pytest.raises(TaskError, match="impossible length range"):
        train(small(train_range=(20, 10)), progress=False)


def test_evaluation_batches_give_the_same_answer_as_one_by_one():
    model = train(small(steps=30), progress=False).model
    task = get_task("bin_majority")
    big = evaluate_bins(model, task, [(1, 20)], 64, seed=3, batch_size=64)
    one = evaluate_bins(model, task, [(1, 20)], 64, seed=3, batch_size=1)
    assert big == one
    curve = accuracy_by_length(model, task, [1, 2, 3], 10)
    assert set(curve) <= {1, 2, 3} and all(0 <= v <= 1 for v in curve.values())


def test_foreach_optimizer_and_clipping_give_the_weights_of_the_per_tensor_loop():
    """lengen's AdamW and clipping run with foreach=True for speed; the weights must be bit for bit
    those of PyTorch's per-tensor loop (foreach=False) after training steps with a decaying lr."""
    from lengen.model import GPT, ModelConfig
    from lengen.train import clip_gradients, make_optimizer

    task = get_task("bin_majority")

    def trained(fast: bool) -> list[torch.Tensor]:
        torch.manual_seed(0)
        model = GPT(ModelConfig(vocab_size=len(task.vocab), n_positions=task.n_positions, n_layer=1, n_head=1, d_model=16))
        if fast:
            opt = make_optimizer(model, 1e-2, 0.01)
        else:
            decay = [p for p in model.parameters() if p.dim() >= 2]
            no_decay = [p for p in model.parameters() if p.dim() < 2]
            opt = torch.optim.AdamW(
                [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                lr=1e-2,
                foreach=False,
            )
        rng = np.random.default_rng(0)
        for step in range(30):
            batch = task.batch(rng, 16, 0, 20, offsets=True, n_positions=task.n_positions)
            for group in opt.param_groups:
                group["lr"] = 1e-2 * (30 - step) / 30
            logits = model(batch.inputs, batch.positions)
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), batch.targets.flatten(), ignore_index=IGNORE_INDEX)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if fast:
                clip_gradients(model, 0.05)  # small enough that clipping acts
            else:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 0.05, foreach=False)
            opt.step()
        return [p.detach().clone() for p in model.parameters()]

    fast, loop = trained(True), trained(False)
    assert all(torch.equal(a, b) for a, b in zip(fast, loop))
    torch.manual_seed(0)
    init = GPT(ModelConfig(vocab_size=len(task.vocab), n_positions=task.n_positions, n_layer=1, n_head=1, d_model=16))
    assert not torch.equal(fast[0], init.wte.weight.detach())  # training moved the weights


def test_supervised_rows_list_each_examples_supervised_positions_in_order():
    from lengen.evaluate import supervised_rows

    t = IGNORE_INDEX
    targets = torch.tensor([[t, t, 5, t, 6], [t, 3, t, t, t], [t, t, t, t, t]])
    rows, row_targets = supervised_rows(targets)
    assert rows.tolist()[0] == [2, 4]
    assert rows.tolist()[1][0] == 1 and row_targets.tolist()[1] == [3, t]  # filler row, unsupervised
    assert row_targets.tolist()[0] == [5, 6] and row_targets.tolist()[2] == [t, t]
    # supervised everywhere in some example (the formal languages): nothing to skip
    full = torch.tensor([[1, 2, 3], [t, 4, 5]])
    assert supervised_rows(full)[0] is None and supervised_rows(full)[1] is full


@pytest.mark.parametrize("task_name", ["bin_majority", "unique_copy", "addition", "bin_majority_interleave", "tomita3"])
def test_loss_and_gradients_at_supervised_rows_equal_those_of_the_full_forward_pass(task_name):
    """Training runs the last block only where the loss looks; the loss and every gradient must
    be those of the full forward pass (up to float rounding), and so must the exact-match metric."""
    from lengen.evaluate import supervised_rows
    from lengen.model import GPT
    from lengen.train import loss_fn

    task = get_task(task_name)
    torch.manual_seed(0)
    model = GPT(TrainConfig(task=task_name, n_layer=2, n_head=2, d_model=32).model_config(task))
    batch = task.batch(np.random.default_rng(1), 16, 0, 30, offsets=True, n_positions=model.cfg.n_positions)
    rows, row_targets = supervised_rows(batch.targets)
    params = list(model.parameters())
    full = loss_fn(model(batch.inputs, batch.positions), batch.targets)
    part = loss_fn(model(batch.inputs, batch.positions, rows=rows), row_targets)
    assert abs(full.item() - part.item()) < 1e-5
    for a, b in zip(torch.autograd.grad(full, params), torch.autograd.grad(part, params)):
        assert torch.allclose(a, b, atol=1e-6)
    with torch.no_grad():
        assert torch.equal(exact_match(model(batch.inputs, batch.positions), batch.targets),
                           exact_match(model(batch.inputs, batch.positions, rows=rows), row_targets))
    if task_name != "tomita3":  # the algorithmic tasks supervise only the answer
        assert rows is not None and rows.shape[1] < batch.targets.shape[1]
