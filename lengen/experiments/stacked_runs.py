"""Several runs of one shape trained together, under :func:`lengen.train.train`'s whole protocol.

:func:`train_stacked` takes K training configurations that differ only in their seed and learning
rate and trains them as one :class:`~lengen.experiments.batched.StackedSeeds` model: the seeds of
one architecture, or the learning rates of one shape in a sweep.  Everything else is ``train``'s
protocol, run by run:

* every ``eval_every`` steps each run is checked on its own held-out early-stopping set; a run at
  100% stops there: its checkpoint and ``result.json`` are written (the same evaluation as
  ``train``) and it leaves the stack, while the others go on;
* each run writes its own ``checkpoint.pt`` (every ``checkpoint_every`` steps) in ``train``'s
  format -- weights, AdamW state, step, history, training-stream state -- so an interrupted stack
  can be resumed stacked again or run by run with ``lengen train`` / :func:`lengen.train.train`,
  and a run interrupted under ``train`` can be resumed in a stack;
* ``result.json`` has ``train``'s fields, plus ``"stack"``: the seeds and learning rates trained
  together and when the stack started.  ``train_seconds`` and ``wall_seconds`` of a run are the
  stack's time up to the end of that run (the K runs share it);
  :func:`lengen.experiments.reproduce.write_run_info` counts a stack's time once.

The weights equal those of separate runs up to floating-point rounding: the batched products sum
in another order (``tests/test_stacked_runs.py`` compares the two ways).  Like any change of
summation order, the difference grows with training: after 200 steps of binary majority it was
2e-4 between stacked and separate, and 8e-5 between the same separate run on one and on two torch
threads.  So an example near a tie can come out the other way, and an early stop can move by one
check.  ``lengen reproduce --profile smoke --tasks bin_majority,tomita1 --seeds 3`` with and
without ``--stack`` gave the same verdicts and the same table except for binary majority
with NoPE, where seed 0 stopped at step 200 instead of 300 and the means of the longer bins moved
by at most 0.5 points.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import torch

from ..devices import resolve_device
from ..evaluate import correctness
from ..files import save_torch, write_json
from ..tasks import get_task
from ..train import (
    TrainConfig,
    checkpoint_state,
    early_stop_set,
    read_checkpoint,
    run_result,
    train,
)
from .batched import StackedSeeds


#: The settings in which runs trained together may differ.
STACKABLE = ("seed", "lr")


def _shape(cfg: TrainConfig) -> dict:
    d = cfg.to_dict()
    for k in (*STACKABLE, "device"):
        d.pop(k)
    return d


def check_stackable(cfgs: Sequence[TrainConfig]) -> None:
    """Raise ``ValueError`` unless the configurations differ only in seed and learning rate, and no
    two are the same run."""
    if not cfgs:
        raise ValueError("train_stacked needs at least one configuration")
    first = _shape(cfgs[0])
    for c in cfgs[1:]:
        other = _shape(c)
        diff = sorted(k for k in first if first[k] != other.get(k))
        if diff:
            raise ValueError("runs trained together must differ only in the seed and the learning rate; "
                             f"these differ in {', '.join(diff)}")
    runs = [(c.seed, c.lr) for c in cfgs]
    if len(set(runs)) != len(runs):
        raise ValueError(f"runs trained together must be distinct runs; (seed, lr) pairs {runs} repeat")


def train_stacked(
    cfgs: Sequence[TrainConfig],
    out_dirs: Sequence[str | Path] | None = None,
    device: str = "auto",
    data_workers: int = 0,
) -> list[dict]:
    """Train the runs ``cfgs`` (the same settings but seed and learning rate) together; returns their
    results in order.

    With ``out_dirs`` (one directory per run), checkpoints and ``result.json`` go there as
    :func:`lengen.train.train` writes them.  Runs with a checkpoint resume from it: runs at the same
    step go on together; a finished run, or a run alone at its step, goes through ``train``.
    ``data_workers``: processes drawing the batches (see :class:`StackedSeeds`)."""
    cfgs = list(cfgs)
    check_stackable(cfgs)
    dirs = [Path(d) for d in out_dirs] if out_dirs is not None else [None] * len(cfgs)
    if len(dirs) != len(cfgs):
        raise ValueError(f"train_stacked got {len(cfgs)} configurations but {len(dirs)} output directories")
    task = get_task(cfgs[0].task)
    lo, hi = cfgs[0].train_range
    task.feasible_lengths(lo, hi)  # fail early on an impossible range, as train does
    for b in cfgs[0].bins:
        task.feasible_lengths(*b)
    dev = resolve_device(device)

    results: list[dict | None] = [None] * len(cfgs)
    by_step: dict[int, list[int]] = defaultdict(list)
    checkpoints: dict[int, dict] = {}
    for i, (cfg, d) in enumerate(zip(cfgs, dirs)):
        ck_path = d / "checkpoint.pt" if d is not None else None
        if ck_path is not None and ck_path.exists():
            ck = read_checkpoint(ck_path, cfg, dev)
            if ck.get("stopped_early") or ck["step"] >= cfg.steps:
                by_step[-1].append(i)  # finished: train() only evaluates it
                continue
            checkpoints[i] = ck
            by_step[ck["step"]].append(i)
        else:
            by_step[0].append(i)
    for step, members in sorted(by_step.items()):
        if step < 0 or len(members) == 1:
            for i in members:
                results[i] = train(_on(cfgs[i], device), out_dir=dirs[i], progress=False).result
            continue
        for i, res in zip(members, _train_group([cfgs[i] for i in members], [dirs[i] for i in members],
                                                [checkpoints.get(i) for i in members], dev, data_workers)):
            results[i] = res
    return results  # type: ignore[return-value]


def _on(cfg: TrainConfig, device: str) -> TrainConfig:
    return TrainConfig.from_dict({**cfg.to_dict(), "device": device})


def _train_group(
    cfgs: list[TrainConfig],
    dirs: list[Path | None],
    checkpoints: list[dict | None],
    device: torch.device,
    data_workers: int,
) -> list[dict]:
    """Train runs that start at the same step (0, or their checkpoints' step) as one stack."""
    base = cfgs[0]
    task = get_task(base.task)
    seeds = [c.seed for c in cfgs]
    lrs = [c.lr for c in cfgs]
    K = len(cfgs)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    stack_info = {"seeds": seeds, "lrs": lrs, "started": started}
    histories: list[list] = [[] for _ in range(K)]
    elapsed0 = [0.0] * K
    st = StackedSeeds(base, seeds, device, data_workers=data_workers, lrs=lrs)
    try:
        if checkpoints[0] is not None:
            cks: list[dict] = checkpoints  # type: ignore[assignment]
            st.load_runs([c["model"] for c in cks], [c["optimizer"] for c in cks], cks[0]["step"],
                         [c["rng"]["numpy"] for c in cks])
            histories = [list(c["history"]) for c in cks]
            elapsed0 = [float(c["elapsed"]) for c in cks]
        early_sets = [early_stop_set(task, c) for c in cfgs]
        t0 = time.perf_counter()
        results: list[dict | None] = [None] * K
        active = list(range(K))  # run indices, in the stack's order

        def save(j: int, i: int, stopped: bool) -> None:
            if dirs[i] is None:
                return
            save_torch(dirs[i] / "checkpoint.pt", checkpoint_state(
                cfgs[i], st.model_cfg, st.state_dict(j), st.optimizer_state(j), st.step_count, histories[i],
                elapsed0[i] + time.perf_counter() - t0, stopped, st.stream_state(j)))

        while active:
            losses = st.step()
            step = st.step_count
            stopped = [False] * len(active)
            if step % base.eval_every == 0 or step == base.steps:
                for j, i in enumerate(active):
                    acc = float(correctness(st.model(j), task, early_sets[i]).mean())
                    histories[i].append({"step": step, "loss": float(losses[j]), "id_accuracy": acc})
                    stopped[j] = acc == 1.0
            finished = []
            for j, i in enumerate(active):
                if step % base.checkpoint_every == 0 or stopped[j] or step == base.steps:
                    save(j, i, stopped[j])
                if stopped[j] or step == base.steps:
                    finished.append(j)
            for j in finished:
                i = active[j]
                start = t0 - elapsed0[i]  # perf_counter value at which this run's training began
                res = run_result(st.model(j), task, cfgs[i], step, stopped[j], histories[i], start, device)
                res["stack"] = stack_info
                if dirs[i] is not None:
                    write_json(dirs[i] / "result.json", res)
                results[i] = res
            if finished:
                remaining = [j for j in range(len(active)) if j not in finished]
                active = [active[j] for j in remaining]
                if active:
                    st.keep(remaining)
    finally:
        st.close()
    return results  # type: ignore[return-value]


def stack_key(result: dict) -> str | None:
    """An identifier shared by the results of runs trained in one stack (None for a separate run)."""
    s = result.get("stack")
    if not s:
        return None
    return f"{result.get('task')}|{result['config'].get('pe')}|{s.get('started')}|{s.get('seeds')}|{s.get('lrs')}"

