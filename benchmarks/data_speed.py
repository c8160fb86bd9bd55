"""Drawing training batches: lengen's ``Task.sample`` and ``Task.collate`` against lengen 0.2.0's.

A training step of the paper's small models is a few milliseconds on one CPU core, and drawing its
batch of 64 examples used to take about as long: ``Task.collate`` made a few small tensors per
example, and ``Task.sample`` drew each length with ``rng.choice`` over a list, which converts the
list on every call.  Now collate fills numpy arrays and hands them to torch once, and sample draws
the same number with ``rng.integers``: the same random draws in the same order, so every batch is
identical (``tests/test_tasks.py`` pins the order).  This script

1. checks that both versions give identical batches for every task (two seeds, three batches each),
2. times drawing a batch of 64 (``Task.batch``: sampling plus collating) both ways, and
3. times whole training runs (``lengen.train.train``, ``--steps`` steps, minimal evaluation) both
   ways, the 0.2.0 methods patched in for the baseline,

interleaving the repeats (A B A B ...) and reporting medians and ratios (baseline / lengen).

Usage::

    python benchmarks/data_speed.py            # one torch thread, about two minutes
    python benchmarks/data_speed.py --quick    # fewer tasks and repeats

Results go to ``benchmarks/results/data_speed.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lengen.files import write_json  # noqa: E402
from lengen.tasks import IGNORE_INDEX, Batch, Task, TaskError, all_tasks, get_task  # noqa: E402
from lengen.train import TrainConfig, train  # noqa: E402

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "data_speed.json"
BATCH_TASKS = ["bin_majority", "majority", "unique_copy", "sort", "tomita4", "dyck1"]
# (task, layers, heads, d): the smallest model of the sweep, and the CPU-sized copy model
RUNS = [("bin_majority", 1, 1, 16), ("unique_copy", 2, 1, 64)]


def baseline_sample(self: Task, rng: np.random.Generator, lo: int, hi: int, n: int) -> list:
    """lengen 0.2.0's ``Task.sample`` (the baseline): ``rng.choice`` over the list of lengths."""
    lengths = self.feasible_lengths(lo, hi)
    return [self.example(rng, int(rng.choice(lengths))) for _ in range(n)]


def baseline_collate(self: Task, examples: Sequence, rng: np.random.Generator | None = None,
                     n_positions: int | None = None) -> Batch:
    """lengen 0.2.0's ``Task.collate``: a few small tensors per example (the baseline)."""
    n_positions = n_positions or self.n_positions
    T = max(len(e.inputs) for e in examples)
    B = len(examples)
    inputs = torch.zeros(B, T, dtype=torch.long)
    targets = torch.full((B, T), IGNORE_INDEX, dtype=torch.long)
    positions = torch.zeros(B, T, dtype=torch.long)
    for b, e in enumerate(examples):
        t = len(e.inputs)
        if t > n_positions:
            raise TaskError(f"an example needs {t} positions but the model has {n_positions}")
        inputs[b, :t] = torch.tensor(self.vocab.encode(e.inputs))
        targets[b, :t] = torch.tensor([IGNORE_INDEX if y is None else self.vocab.stoi[y] for y in e.targets])
        offset = int(rng.integers(0, n_positions - t + 1)) if rng is not None else 0
        positions[b, :t] = torch.arange(offset, offset + t)
        positions[b, t:] = offset + t - 1
    lengths = torch.tensor([e.length for e in examples], dtype=torch.long)
    return Batch(inputs, targets, positions, lengths)


class _Baseline:
    """``with _Baseline():`` every task samples and collates as lengen 0.2.0 did."""

    def __enter__(self) -> None:
        self.saved = Task.sample, Task.collate
        Task.sample, Task.collate = baseline_sample, baseline_collate

    def __exit__(self, *exc) -> None:
        Task.sample, Task.collate = self.saved


def check() -> dict:
    """lengen and the baseline give identical batches for every task."""
    def draw(task: Task, seed: int) -> list:
        rng = np.random.default_rng([seed, 1])
        return [task.batch(rng, 16, 0, 50, offsets=True, n_positions=task.n_positions) for _ in range(3)]

    same = True
    for task in all_tasks():
        for seed in (0, 1):
            new = draw(task, seed)
            with _Baseline():
                old = draw(task, seed)
            for a, b in zip(new, old):
                fields = ("inputs", "targets", "positions", "lengths")
                same &= all(torch.equal(getattr(a, f), getattr(b, f)) and getattr(a, f).dtype == getattr(b, f).dtype
                            for f in fields)
    print(f"check: lengen and its 0.2.0 baseline give {'identical' if same else 'DIFFERENT'} batches for all "
          f"{len(all_tasks())} tasks")
    return {"tasks": len(all_tasks()), "identical": same}


def interleaved(run, repeats: int) -> tuple[list[float], list[float]]:
    """After a warm-up, ``run()`` with lengen and under the baseline in turn: (lengen, baseline) times."""
    run()
    new, old = [], []
    for _ in range(repeats):
        new.append(run())
        with _Baseline():
            old.append(run())
    return new, old


def time_batches(name: str, n: int, repeats: int) -> dict:
    task = get_task(name)

    def run() -> float:
        rng = np.random.default_rng(0)
        t = time.perf_counter()
        for _ in range(n):
            task.batch(rng, 64, 0, 50, offsets=True, n_positions=task.n_positions)
        return (time.perf_counter() - t) / n

    new, old = interleaved(run, repeats)
    mn, mo = statistics.median(new), statistics.median(old)
    print(f"batch of 64, {name:>13}: baseline {1000 * mo:.2f} ms, lengen {1000 * mn:.2f} ms: x{mo / mn:.2f}")
    return {"task": name, "baseline_ms": 1000 * mo, "lengen_ms": 1000 * mn, "ratio": mo / mn,
            "baseline_all_ms": [1000 * x for x in old], "lengen_all_ms": [1000 * x for x in new]}


def time_runs(task: str, L: int, H: int, d: int, steps: int, repeats: int) -> dict:
    cfg = TrainConfig(task=task, n_layer=L, n_head=H, d_model=d, steps=steps, device="cpu", eval_every=10**9,
                      eval_examples=8, early_stop_examples=8, bins=[(1, 10)], checkpoint_every=10**9)

    def run() -> float:
        t = time.perf_counter()
        train(cfg, progress=False)
        return time.perf_counter() - t

    new, old = interleaved(run, repeats)
    mn, mo = statistics.median(new), statistics.median(old)
    print(f"training {task} {L}/{H}/{d}, {steps} steps: baseline {steps / mo:.0f} steps/s, lengen {steps / mn:.0f} "
          f"steps/s: x{mo / mn:.2f}")
    return {"task": task, "arch": [L, H, d], "steps": steps, "baseline_steps_per_s": steps / mo,
            "lengen_steps_per_s": steps / mn, "ratio": mo / mn, "baseline_seconds": old, "lengen_seconds": new}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="two tasks, fewer repeats")
    p.add_argument("--repeats", type=int, default=None, help="default 5 (quick 2)")
    p.add_argument("--steps", type=int, default=None, help="steps of a timed run (default 300, quick 40)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=str(DEFAULT_OUT))
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    repeats = args.repeats or (2 if args.quick else 5)
    steps = args.steps or (40 if args.quick else 300)
    chk = check()
    tasks = BATCH_TASKS[:2] if args.quick else BATCH_TASKS
    batches = [time_batches(t, 50 if args.quick else 200, repeats) for t in tasks]
    runs = [time_runs(*r, steps, repeats) for r in (RUNS[:1] if args.quick else RUNS)]
    write_json(args.out, {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "threads": args.threads,
        "check": chk,
        "batches": batches,
        "runs": runs,
        "note": "ratio = baseline time / lengen time (medians of interleaved repeats); baseline = lengen 0.2.0's "
                "Task.sample and Task.collate, patched in",
    })
    print(f"wrote {args.out}")
    return 0 if chk["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
