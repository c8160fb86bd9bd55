"""Exact-match accuracy by length bin and by single length.

An example counts as correct only if the model's argmax prediction is right at **every**
supervised position (for algorithmic tasks: every answer token and ``<eos>``, under teacher
forcing, which equals greedy decoding; for languages: every prefix label).  Test examples use
position offset 0.  Lengths count input symbols (see :mod:`lengen.tasks.base`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .devices import autocast
from .model import GPT
from .tasks import IGNORE_INDEX, Batch, Example, Task

Bin = tuple[int, int]
DEFAULT_BINS: list[Bin] = [(0, 50), (51, 100), (101, 150)]


def bin_name(b: Bin) -> str:
    return f"[{b[0]},{b[1]}]"


def parse_bins(text: str) -> list[Bin]:
    """Parse ``"0-50,51-100"`` (or ``"0:50 51:100"``) into bins; raises ValueError with the fix."""
    bins = []
    for part in text.replace(" ", ",").split(","):
        if not part:
            continue
        sep = "-" if "-" in part else ":"
        try:
            lo, hi = (int(x) for x in part.split(sep))
        except ValueError:
            raise ValueError(f"cannot read bin {part!r}; write bins as LO-HI, e.g. 0-50,51-100") from None
        if lo > hi or lo < 0:
            raise ValueError(f"impossible length range {part!r}: need 0 <= LO <= HI")
        bins.append((lo, hi))
    if not bins:
        raise ValueError("no bins given; write bins as LO-HI, e.g. 0-50,51-100")
    return bins


def exact_match(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(B, T, V) logits and (B, T) targets -> (B,) bool: every supervised position predicted right."""
    supervised = targets != IGNORE_INDEX
    right = (logits.argmax(-1) == targets) | ~supervised
    return right.all(dim=1)


def supervised_rows(targets: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
    """The positions the loss looks at, for ``GPT.forward(..., rows=...)``.

    targets (B, T), ``-100`` where unsupervised.  Returns ``(rows, row_targets)``, both (B, S) with S
    the largest number of supervised positions in one example: ``rows[b]`` lists example b's
    supervised positions (0-based, in order), then unsupervised ones as filler, whose target is
    ``-100``.  ``loss_fn(model(inputs, positions, rows=rows), row_targets)`` is then the same loss
    as ``loss_fn(model(inputs, positions), targets)`` up to float rounding.  When some example is
    supervised at every position (S = T, as in the formal languages) there is nothing to skip, and
    the result is ``(None, targets)``: the full forward pass (likewise when nothing is supervised).
    """
    supervised = targets != IGNORE_INDEX  # (B, T)
    S = int(supervised.sum(dim=1).max())
    if S == targets.shape[1] or S == 0:
        return None, targets
    # a stable sort of "unsupervised?" puts each row's supervised positions first, in order
    rows = torch.argsort((~supervised).to(torch.uint8), dim=1, stable=True)[:, :S]  # (B, S)
    return rows, targets.gather(1, rows)


@torch.no_grad()
def predict_correct(model: GPT, batch: Batch) -> torch.Tensor:
    """Exact-match correctness of each example in the batch, on the model's device.  The model
    computes its logits only at the supervised positions (see :func:`supervised_rows`)."""
    device = next(model.parameters()).device
    batch = batch.to(device)
    rows, targets = supervised_rows(batch.targets)
    with autocast(device):
        logits = model(batch.inputs, batch.positions, rows=rows)
    return exact_match(logits, targets)


@torch.no_grad()
def correctness(model: GPT, task: Task, examples: Sequence[Example], batch_size: int = 256) -> np.ndarray:
    """Exact-match correctness of each example (bool array, input order), batched by similar length."""
    was_training = model.training
    model.eval()
    order = sorted(range(len(examples)), key=lambda k: len(examples[k].inputs))
    out = np.zeros(len(examples), dtype=bool)
    n_positions = getattr(model.cfg, "n_positions", None)
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        batch = task.collate([examples[k] for k in idx], n_positions=n_positions)
        out[idx] = predict_correct(model, batch).cpu().numpy()
    model.train(was_training)
    return out


def test_set(task: Task, lo: int, hi: int, n: int, seed: int) -> list[Example]:
    """``n`` test examples with lengths uniform over the feasible lengths of [lo, hi], fixed by ``seed``."""
    rng = np.random.default_rng([seed, lo, hi, 7])
    return task.sample(rng, lo, hi, n)


def evaluate_bins(
    model: GPT,
    task: Task,
    bins: Sequence[Bin] = DEFAULT_BINS,
    n_per_bin: int = 2000,
    seed: int = 0,
    batch_size: int = 256,
) -> dict[str, float]:
    """Exact-match accuracy (0..1) in each bin, keyed by ``"[lo,hi]"``; a fresh test set per bin drawn from ``seed``."""
    return {
        bin_name(b): float(correctness(model, task, test_set(task, b[0], b[1], n_per_bin, seed), batch_size).mean())
        for b in bins
    }


def accuracy_by_length(
    model: GPT,
    task: Task,
    lengths: Sequence[int],
    n_per_length: int = 100,
    seed: int = 0,
    batch_size: int = 256,
) -> dict[int, float]:
    """Exact-match accuracy at each single feasible length (a curve: bins hide where it breaks)."""
    curve = {}
    for n in lengths:
        if not task.feasible(n):
            continue
        exs = test_set(task, n, n, n_per_length, seed)
        curve[int(n)] = float(correctness(model, task, exs, batch_size).mean())
    return curve
