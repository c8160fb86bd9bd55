"""The paper's training protocol, written once.

* Fresh batches every step (batch 64), lengths uniform over the training range [0, 50]
  (clamped to the task's minimum), each example shifted by a random position offset so that
  every positional-embedding row is trained (evaluation uses offset 0).
* Loss on supervised tokens only (the answer and ``<eos>``; every label for languages); the
  model's last block runs only at those positions (``supervised_rows``), same loss and gradients.
* AdamW (weight decay 0.01 on matrices, none on biases and LayerNorm), linear learning-rate
  decay to 0 over ``steps`` (after an optional warm-up), gradient clipping at 1.0.
* Every ``eval_every`` steps a held-out set of ``early_stop_examples`` in-distribution examples
  is evaluated; training stops early as soon as it is at 100%.  The set is drawn apart from the
  test sets (the authors checked their [0,50] test set itself; see
  :mod:`lengen.experiments.protocol`).  At the end every bin is evaluated on fresh test examples,
  plus an optional per-length curve.
* Optional positional-product regularizer ``reg * model.positional_regularizer()``.
* Seeds differ in initialization *and* in the training stream *and* in the test sets.

Checkpoints (``checkpoint.pt``) are written atomically every ``checkpoint_every`` steps and hold
the model, the optimizer, the step and every random-number state, so that an interrupted run
resumes where it stopped.  The result (``result.json``) is written atomically at the end.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from . import __version__
from .devices import autocast, describe, resolve_device
from .evaluate import (
    DEFAULT_BINS,
    Bin,
    accuracy_by_length,
    bin_name,
    correctness,
    evaluate_bins,
    supervised_rows,
    test_set,
)
from .files import load_torch, save_torch, write_json
from .model import GPT, ModelConfig
from .tasks import IGNORE_INDEX, Task, get_task


# Smallest allowed value of each integer setting of TrainConfig.
_AT_LEAST = {"n_layer": 0, "n_head": 1, "d_model": 1, "steps": 1, "batch_size": 1, "warmup": 0,
             "eval_every": 1, "eval_examples": 1, "early_stop_examples": 1, "curve_examples": 0,
             "checkpoint_every": 1, "seed": 0}
# The ``lengen train`` option that sets a field, where there is one.
_OPTIONS = {"n_layer": "--layers", "n_head": "--heads", "d_model": "--d-model", "steps": "--steps",
            "batch_size": "--batch-size", "eval_every": "--eval-every", "eval_examples": "--examples",
            "early_stop_examples": "--early-stop-examples", "curve_examples": "--curve", "seed": "--seed",
            "lr": "--lr", "reg": "--reg"}


def _option(name: str) -> str:
    return f" (lengen train {_OPTIONS[name]})" if name in _OPTIONS else ""


@dataclass
class TrainConfig:
    task: str = "bin_majority"
    n_layer: int = 1
    n_head: int = 1
    d_model: int = 16
    pe: str = "ape"  # "ape" or "nope"
    lr: float = 1e-3
    steps: int = 30_000  # the maximum; early stopping usually ends sooner
    batch_size: int = 64
    weight_decay: float = 0.01
    grad_clip: float = 1.0  # largest global gradient norm; math.inf turns clipping off
    warmup: int = 0
    train_range: tuple[int, int] = (0, 50)
    bins: list[Bin] = field(default_factory=lambda: list(DEFAULT_BINS))
    eval_every: int = 500  # in-distribution check for early stopping
    eval_examples: int = 2000  # test examples per bin (the paper's number)
    early_stop_examples: int = 500  # examples for the periodic in-distribution check
    curve_examples: int = 0  # examples per single length for the final curve (0 = no curve)
    reg: float = 0.0  # coefficient of the positional-product regularizer (paper: 1e-4)
    offsets: bool = True  # random position offsets during training
    seed: int = 0
    device: str = "auto"
    checkpoint_every: int = 1000

    def __post_init__(self) -> None:
        """Reject settings that cannot run, naming the field and its ``lengen train`` option."""
        if self.pe not in ("ape", "nope"):
            raise ValueError(f"pe must be 'ape' or 'nope', got {self.pe!r} (lengen train --pe ape|nope)")
        for name, least in _AT_LEAST.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, got {value!r}{_option(name)}")
        for name, strict in [("lr", True), ("grad_clip", True), ("weight_decay", False), ("reg", False)]:
            value = float(getattr(self, name))
            if name == "grad_clip" and value == math.inf:  # no clipping
                continue
            if not math.isfinite(value) or value < 0 or (strict and value == 0):
                rule = "> 0" if strict else ">= 0"
                raise ValueError(f"{name} must be a finite number {rule}, got {value!r}{_option(name)}")
        if not self.bins:
            raise ValueError("bins must name at least one length range (lengen train --bins 0-50,51-100)")

    def model_config(self, task: Task) -> ModelConfig:
        return ModelConfig(
            vocab_size=len(task.vocab),
            n_positions=task.n_positions,
            n_layer=self.n_layer,
            n_head=self.n_head,
            d_model=self.d_model,
            pe=self.pe,
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["train_range"] = list(self.train_range)
        d["bins"] = [list(b) for b in self.bins]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        d["train_range"] = tuple(d["train_range"])
        d["bins"] = [tuple(b) for b in d["bins"]]
        return cls(**d)


class Callback:
    """Hooks called by :func:`train`; override what you need (e.g. live plots in a notebook)."""

    def on_start(self, model: GPT, task: Task) -> None: ...

    def on_step(self, step: int, loss: float) -> None: ...

    def on_eval(self, step: int, accuracy: dict[str, float]) -> None: ...

    def on_end(self, result: dict) -> None: ...


@dataclass
class TrainResult:
    model: GPT
    result: dict[str, Any]


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not on biases, LayerNorm or anything 1-D).

    ``foreach=True`` updates all tensors with one call per operation instead of a Python loop over
    tensors, as PyTorch does by itself on GPUs, so every device runs the same code path.  The
    arithmetic is the same, so the weights are bit for bit those of the per-tensor loop
    (``tests/test_train.py`` checks it) and runs of earlier versions repeat exactly."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr,
        foreach=True,
    )


def clip_gradients(model: torch.nn.Module, max_norm: float) -> torch.Tensor:
    """Scale all gradients together so that their global L2 norm is at most ``max_norm``; returns the
    norm before clipping.  ``clip_grad_norm_`` with ``foreach=True``: same numbers as its loop."""
    return torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm, foreach=True)


def _lr_factor(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up then linear decay to 0 at ``cfg.steps`` (HF's linear schedule)."""
    if step < cfg.warmup:
        return step / max(1, cfg.warmup)
    return max(0.0, (cfg.steps - step) / max(1, cfg.steps - cfg.warmup))


def loss_fn(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over supervised positions.  logits (B, T, V), targets (B, T)."""
    return F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), ignore_index=IGNORE_INDEX)


def train(
    cfg: TrainConfig,
    out_dir: str | Path | None = None,
    callbacks: Sequence[Callback] = (),
    progress: bool = True,
) -> TrainResult:
    """Train a model under ``cfg``.  With ``out_dir``, checkpoints and ``result.json`` go there and an
    interrupted run resumes from ``out_dir/checkpoint.pt`` (on any device).  A finished run resumes
    at its end: nothing is trained again, the model is only evaluated afresh."""
    task = get_task(cfg.task)
    device = resolve_device(cfg.device)
    lo, hi = cfg.train_range
    task.feasible_lengths(lo, hi)  # fail early on an impossible range
    for b in cfg.bins:
        task.feasible_lengths(*b)
    out = Path(out_dir) if out_dir is not None else None

    torch.manual_seed(cfg.seed)
    model = GPT(cfg.model_config(task)).to(device)
    opt = make_optimizer(model, cfg.lr, cfg.weight_decay)
    data_rng = np.random.default_rng([cfg.seed, 1])  # the training stream differs between seeds
    step, history, elapsed, stopped_early = 0, [], 0.0, False

    ckpt_path = out / "checkpoint.pt" if out else None
    if ckpt_path is not None and ckpt_path.exists():
        ck = read_checkpoint(ckpt_path, cfg, device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        for group in opt.param_groups:  # checkpoints of earlier versions hold foreach=None
            group["foreach"] = True
        step, history, elapsed = ck["step"], ck["history"], ck["elapsed"]
        stopped_early = ck.get("stopped_early", False)
        data_rng.bit_generator.state = ck["rng"]["numpy"]
        torch.set_rng_state(ck["rng"]["torch"].cpu())

    def checkpoint() -> None:
        if ckpt_path is None:
            return
        save_torch(ckpt_path, checkpoint_state(cfg, model.cfg, model.state_dict(), opt.state_dict(), step, history,
                                               elapsed, stopped_early, data_rng.bit_generator.state))

    id_bin = early_stop_bin(task, cfg)
    early_set = early_stop_set(task, cfg)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, initial=step, desc=f"{cfg.task} {cfg.pe}", leave=False)
    start = time.perf_counter() - elapsed
    for cb in callbacks:
        cb.on_start(model, task)
    model.train()
    while step < cfg.steps and not stopped_early:
        batch = task.batch(data_rng, cfg.batch_size, lo, hi, offsets=cfg.offsets, n_positions=model.cfg.n_positions)
        batch = batch.to(device)
        for group in opt.param_groups:
            group["lr"] = cfg.lr * _lr_factor(step, cfg)
        rows, targets = supervised_rows(batch.targets)  # the last block runs only where the loss looks
        with autocast(device):
            logits = model(batch.inputs, batch.positions, rows=rows)
        loss = loss_fn(logits, targets)
        if cfg.reg > 0:
            loss = loss + cfg.reg * model.positional_regularizer()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        clip_gradients(model, cfg.grad_clip)
        opt.step()
        step += 1
        loss_value = loss.item()
        for cb in callbacks:
            cb.on_step(step, loss_value)
        if bar is not None:
            bar.update(1)
            if step % 50 == 0:
                bar.set_postfix(loss=f"{loss_value:.4f}")
        if step % cfg.eval_every == 0 or step == cfg.steps:
            acc = float(correctness(model, task, early_set).mean())
            history.append({"step": step, "loss": loss_value, "id_accuracy": acc})
            for cb in callbacks:
                cb.on_eval(step, {bin_name(id_bin): acc})
            stopped_early = acc == 1.0
            model.train()
        elapsed = time.perf_counter() - start
        if step % cfg.checkpoint_every == 0 or stopped_early or step == cfg.steps:
            checkpoint()
    if bar is not None:
        bar.close()

    result = run_result(model, task, cfg, step, stopped_early, history, start, device)
    if out is not None:
        write_json(out / "result.json", result)
    for cb in callbacks:
        cb.on_end(result)
    return TrainResult(model, result)


def early_stop_bin(task: Task, cfg: TrainConfig) -> Bin:
    """The length range of the early-stopping check: the training range (from the task's minimum)."""
    lo, hi = cfg.train_range
    return (max(lo, task.min_length), hi)


def early_stop_set(task: Task, cfg: TrainConfig) -> list:
    """The held-out examples of the early-stopping check (apart from every test set: seed + 10,000)."""
    return test_set(task, *early_stop_bin(task, cfg), cfg.early_stop_examples, seed=cfg.seed + 10_000)


def checkpoint_state(
    cfg: TrainConfig,
    model_cfg: ModelConfig,
    model_state: dict,
    optimizer_state: dict,
    step: int,
    history: list,
    elapsed: float,
    stopped_early: bool,
    numpy_state: dict,
) -> dict:
    """The contents of ``checkpoint.pt``: everything :func:`train` needs to go on from ``step``."""
    return {
        "config": cfg.to_dict(),
        "model_config": model_cfg.to_dict(),
        "model": model_state,
        "optimizer": optimizer_state,
        "step": step,
        "history": history,
        "elapsed": elapsed,
        "stopped_early": stopped_early,
        "rng": {"numpy": numpy_state, "torch": torch.get_rng_state()},
        "lengen_version": __version__,
    }


def run_result(
    model: GPT,
    task: Task,
    cfg: TrainConfig,
    step: int,
    stopped_early: bool,
    history: list,
    start: float,
    device: torch.device,
) -> dict:
    """Evaluate a trained model on every bin (and the curve) and assemble ``result.json``.

    ``start``: the ``time.perf_counter()`` value at which training began (earlier sessions of a
    resumed run included), so that ``train_seconds`` is the training time and ``wall_seconds``
    adds this evaluation."""
    train_time = time.perf_counter() - start
    model.eval()
    accuracy = evaluate_bins(model, task, cfg.bins, cfg.eval_examples, seed=cfg.seed)
    curve = {}
    if cfg.curve_examples > 0:
        top = max(b[1] for b in cfg.bins)
        curve = accuracy_by_length(model, task, range(0, top + 1), cfg.curve_examples, seed=cfg.seed)
    return {
        "task": cfg.task,
        "config": cfg.to_dict(),
        "model_config": model.cfg.to_dict(),
        "n_parameters": model.num_parameters(),
        "seed": cfg.seed,
        "steps": step,
        "stopped_early": stopped_early,
        "accuracy": accuracy,
        "curve": {str(k): v for k, v in curve.items()},
        "history": history,
        "train_seconds": round(train_time, 3),
        "wall_seconds": round(time.perf_counter() - start, 3),
        "device": describe(device),
        "lengen_version": __version__,
        "torch_version": torch.__version__,
        "prediction": _prediction(task),
    }


def read_checkpoint(path: str | Path, cfg: TrainConfig, device: torch.device) -> dict:
    """Load the ``checkpoint.pt`` of a run to resume it under ``cfg``; refuse one written under another
    configuration (the device may differ)."""
    ck = load_torch(path, map_location=device)
    if _resumable(ck["config"]) != _resumable(cfg.to_dict()):
        raise ValueError(
            f"{path} was written with a different configuration; use another --out directory "
            "or delete the checkpoint to start over"
        )
    # AdamW keeps its step counts on the CPU (it reads them with .item() every step);
    # map_location moved them to the device, where each read would wait for the GPU.
    for entry in ck.get("optimizer", {}).get("state", {}).values():
        if torch.is_tensor(entry.get("step")):
            entry["step"] = entry["step"].cpu()
    return ck


def _resumable(config: dict) -> dict:
    """The part of a configuration that must match to resume a run (the device may change)."""
    return {k: v for k, v in config.items() if k != "device"}


def _prediction(task: Task) -> dict:
    p = task.predicted()
    return {"ape": p.ape, "nope": p.nope, "source": p.source}


def load_checkpoint(path: str | Path, device: str = "auto") -> tuple[GPT, TrainConfig, dict]:
    """Load a model from a ``checkpoint.pt`` (weights only; no pickled code is executed)."""
    dev = resolve_device(device)
    ck = load_torch(path, map_location=dev)
    model = GPT(ModelConfig(**ck["model_config"])).to(dev)
    model.load_state_dict(ck["model"])
    model.eval()
    return model, TrainConfig.from_dict(ck["config"]), ck
