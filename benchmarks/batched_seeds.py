"""Training several seeds at once: runs completed per hour, batched vs one after another.

Small models leave a GPU idle, so ``lengen reproduce`` on a GPU spends most of its time launching
kernels.  :class:`lengen.experiments.batched.StackedSeeds` trains K seeds of one shape as one
stacked model (batched matrix products, one attention call over K x B sequences, one AdamW).
This script

1. **checks** that the stacked training gives the same weights as separate
   :func:`lengen.train.train` runs with the same seeds (max |difference| over every parameter,
   within ``--tol``; for scale it also prints the difference between two *different* seeds), and
2. **measures** the wall time of S training steps of seeds one after another (calls of
   ``lengen.train.train``, minimal evaluation) against one stacked run of K seeds, interleaving
   the repeats (A B A B ...) and reporting medians: training steps per second summed over the
   seeds, runs completed per hour for runs of ``--run-steps`` steps, and the ratio stacked /
   one after another.  A separate run's speed does not depend on how many follow it, so the
   baseline trains ``min(K, --sequential-seeds)`` seeds (default 4), not all K;
3. **counts** the PyTorch operators a training step dispatches once its batch is drawn (about one
   kernel launch each on a GPU): one separate run against a stack of K, and the operators of
   drawing one run's batch -- a device-independent view of why stacking should pay on a GPU;
4. with ``--protocol``, also times whole runs under the protocol -- early-stopping checks, final
   evaluation of every bin, result files -- as ``lengen reproduce`` runs them: separate
   ``train`` calls against one :func:`lengen.experiments.stacked_runs.train_stacked` call
   (``lengen reproduce --stack``), and records whether the seeds both ways ran the same
   steps and reached the same accuracies.

Usage::

    python benchmarks/batched_seeds.py                    # CPU, one torch thread (a few minutes)
    python benchmarks/batched_seeds.py --quick            # one shape, fewer steps
    python benchmarks/batched_seeds.py --device cuda      # on a GPU: more seeds, data worker processes
    python benchmarks/batched_seeds.py --check-only
    python benchmarks/batched_seeds.py --protocol         # add whole runs (checks, evaluation, files)
    python benchmarks/batched_seeds.py --device cuda --protocol --repeats 1 --protocol-steps 300

Results go to ``benchmarks/results/batched_seeds.json`` (``--out``).  On CUDA both paths train in
bf16 autocast like ``lengen train``, so the weight check there uses a looser tolerance.
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

import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lengen.devices import describe, resolve_device  # noqa: E402
from lengen.experiments.batched import StackedSeeds, max_weight_difference  # noqa: E402
from lengen.files import write_json  # noqa: E402
from lengen.train import TrainConfig, train  # noqa: E402

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "batched_seeds.json"

# (name, task, layers, heads, d): the authors' binary-majority model, the CPU-sized sort/copy model
# of the quick profile, and (GPU) the authors' majority model.
SHAPES = {
    "small": ("bin_majority", 1, 1, 16),
    "medium": ("sort", 2, 2, 64),
    "large": ("majority", 1, 2, 256),
}


def config(task: str, layers: int, heads: int, d: int, steps: int, device: str, seed: int = 0) -> TrainConfig:
    """The protocol's configuration with evaluation reduced to a token amount (timing is about training)."""
    return TrainConfig(
        task=task, n_layer=layers, n_head=heads, d_model=d, lr=1e-3, steps=steps, seed=seed, device=device,
        eval_every=10**9, eval_examples=8, early_stop_examples=8, bins=[(1, 10)], checkpoint_every=10**9,
    )


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def sequential(cfg: TrainConfig, seeds: list[int], device: torch.device) -> tuple[float, list[dict]]:
    """K separate ``train`` runs, one after another: (seconds, state dicts)."""
    sync(device)
    t = time.perf_counter()
    states = []
    for s in seeds:
        c = TrainConfig.from_dict({**cfg.to_dict(), "seed": s})
        states.append(train(c, progress=False).model.state_dict())
    sync(device)
    return time.perf_counter() - t, states


def batched(cfg: TrainConfig, seeds: list[int], device: torch.device, data_workers: int) -> tuple[float, StackedSeeds]:
    sync(device)
    t = time.perf_counter()
    with StackedSeeds(cfg, seeds, device, data_workers=data_workers) as st:
        st.train(cfg.steps)
        sync(device)
        return time.perf_counter() - t, st


def check(shape: str, device: torch.device, steps: int, tol: float, data_workers: int) -> dict:
    task, L, H, d = SHAPES[shape]
    cfg = config(task, L, H, d, steps, str(device))
    seeds = [0, 1, 2]
    _, ref = sequential(cfg, seeds, device)
    _, st = batched(cfg, seeds, device, data_workers)
    same = [max_weight_difference(st.state_dict(k), ref[k]) for k in range(len(seeds))]
    other = max_weight_difference(ref[0], ref[1])
    ok = max(same) <= tol
    print(f"check {shape} ({task} {L}/{H}/{d}, {steps} steps, seeds {seeds}): max |batched - separate| = "
          f"{max(same):.2e} (tolerance {tol:.0e}) {'OK' if ok else 'FAILED'}; "
          f"seed 0 vs seed 1 differ by {other:.2e}")
    return {"shape": shape, "task": task, "arch": [L, H, d], "steps": steps, "seeds": seeds,
            "max_diff_same_seed": max(same), "per_seed": same, "diff_between_seeds": other, "tolerance": tol, "ok": ok}


def measure(shape: str, device: torch.device, K: int, steps: int, repeats: int, run_steps: int,
            data_workers: int, n_sequential: int) -> dict:
    """K seeds stacked against ``min(K, n_sequential)`` seeds one after another: a separate run's
    speed does not depend on how many runs follow it, so the baseline needs only a few."""
    task, L, H, d = SHAPES[shape]
    cfg = config(task, L, H, d, steps, str(device))
    seeds = list(range(K))
    n_seq = min(K, n_sequential)
    # warm-up (allocators, oneDNN/cuBLAS handles, process start-up of data workers is timed below)
    sequential(config(task, L, H, d, 3, str(device)), seeds[:1], device)
    batched(config(task, L, H, d, 3, str(device)), seeds[:2], device, 0)
    t_seq, t_bat = [], []
    for _ in range(repeats):
        t_seq.append(sequential(cfg, seeds[:n_seq], device)[0])
        t_bat.append(batched(cfg, seeds, device, data_workers)[0])
    ms, mb = statistics.median(t_seq), statistics.median(t_bat)
    sps_seq, sps_bat = n_seq * steps / ms, K * steps / mb
    rph_seq, rph_bat = 3600 * sps_seq / run_steps, 3600 * sps_bat / run_steps
    print(f"{shape:>6} ({task} {L}/{H}/{d}), {steps} steps: {n_seq} seeds one after another {ms:.1f} s, "
          f"K={K} stacked {mb:.1f} s -> {sps_seq:.0f} vs {sps_bat:.0f} steps/s; runs of {run_steps} steps per hour "
          f"{rph_seq:.1f} vs {rph_bat:.1f}: x{rph_bat / rph_seq:.2f}")
    return {"shape": shape, "task": task, "arch": [L, H, d], "seeds": K, "sequential_seeds": n_seq, "steps": steps,
            "repeats": repeats, "sequential_seconds": t_seq, "batched_seconds": t_bat,
            "sequential_steps_per_s": sps_seq, "batched_steps_per_s": sps_bat,
            "run_steps": run_steps, "sequential_runs_per_hour": rph_seq, "batched_runs_per_hour": rph_bat,
            "ratio": rph_bat / rph_seq, "data_workers": data_workers}


class _CountOps:
    """Count the PyTorch operators dispatched inside a ``with`` block (each is about one kernel
    launch on a GPU, where a small model's step time is mostly launches)."""

    def __init__(self) -> None:
        from torch.utils._python_dispatch import TorchDispatchMode

        counter = self

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                counter.n += 1
                return func(*args, **(kwargs or {}))

        self.n = 0
        self.mode = Mode()

    def __enter__(self) -> "_CountOps":
        self.mode.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.mode.__exit__(*exc)


def count_ops(shape: str, device: torch.device, Ks: list[int]) -> dict:
    """Operators per training step, once the batch is drawn (forward, loss, backward, clipping,
    AdamW): a separate run (as ``lengen.train.train`` steps) against a stack of K; and the operators
    of drawing one run's batch."""
    import numpy as np

    from lengen.evaluate import supervised_rows
    from lengen.model import GPT
    from lengen.tasks import get_task
    from lengen.train import clip_gradients, loss_fn, make_optimizer

    task_name, L, H, d = SHAPES[shape]
    cfg = config(task_name, L, H, d, 10, str(device))
    task = get_task(task_name)
    torch.manual_seed(0)
    model = GPT(cfg.model_config(task)).to(device)
    opt = make_optimizer(model, cfg.lr, cfg.weight_decay)
    rng = np.random.default_rng(0)
    for i in range(3):  # the last step is counted (optimizer state exists by then)
        with _CountOps() as draw:
            batch = task.batch(rng, cfg.batch_size, *cfg.train_range, offsets=True, n_positions=model.cfg.n_positions)
        batch = batch.to(device)
        with _CountOps() as one:
            rows, targets = supervised_rows(batch.targets)
            loss = loss_fn(model(batch.inputs, batch.positions, rows=rows), targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            clip_gradients(model, cfg.grad_clip)
            opt.step()
    stacked = {}
    for K in sorted({1, 32, *Ks}):  # the count does not depend on K; 1 and 32 show it
        st = StackedSeeds(cfg, list(range(K)), device)
        st.train(2)
        inputs, positions, targets = st.next_batch()
        with _CountOps() as c:
            loss = st.losses(inputs, positions, targets)
            st.opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            st._clip()
            st.opt.step()
        stacked[str(K)] = c.n
    print(f"{shape:>6} operators per training step: one run {one.n}; a stack of K "
          + ", ".join(f"{k}: {n} ({n / int(k):.0f} per run)" for k, n in stacked.items())
          + f"; drawing one run's batch {draw.n}")
    return {"shape": shape, "task": task_name, "arch": [L, H, d], "separate_step_ops": one.n,
            "stacked_step_ops": stacked, "batch_draw_ops": draw.n}


def protocol_config(task: str, layers: int, heads: int, d: int, steps: int, device: str) -> TrainConfig:
    """Whole runs of ``steps`` steps: four early-stopping checks of 500 examples, 500 test examples
    per bin ([0,50], [51,100], [101,150]), a checkpoint at the end."""
    return TrainConfig(task=task, n_layer=layers, n_head=heads, d_model=d, lr=1e-3, steps=steps, device=device,
                       eval_every=max(1, steps // 4), early_stop_examples=500, eval_examples=500,
                       checkpoint_every=steps)


def measure_protocol(shape: str, device: torch.device, K: int, steps: int, repeats: int, n_sequential: int) -> dict:
    """K whole runs in one ``train_stacked`` call against ``min(K, n_sequential)`` whole runs one
    after another (``train``); the seeds both ways share, so their outcomes can be compared."""
    import tempfile

    from lengen.experiments.stacked_runs import train_stacked

    task, L, H, d = SHAPES[shape]
    cfgs = [TrainConfig.from_dict({**protocol_config(task, L, H, d, steps, str(device)).to_dict(), "seed": s})
            for s in range(K)]
    n_seq = min(K, n_sequential)
    t_seq, t_bat, stops = [], [], []
    for r in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            sync(device)
            t = time.perf_counter()
            seq = [train(c, out_dir=Path(tmp) / f"seq{r}-{c.seed}", progress=False).result for c in cfgs[:n_seq]]
            sync(device)
            t_seq.append(time.perf_counter() - t)
            t = time.perf_counter()
            bat = train_stacked(cfgs, [Path(tmp) / f"bat{r}-{c.seed}" for c in cfgs], device=str(device))
            sync(device)
            t_bat.append(time.perf_counter() - t)
        stops.append({"separate": [x["steps"] for x in seq], "stacked": [x["steps"] for x in bat],
                      "same_accuracy": [a["accuracy"] == b["accuracy"] for a, b in zip(seq, bat)]})
    ms, mb = statistics.median(t_seq), statistics.median(t_bat)
    rph_seq, rph_bat = 3600 * n_seq / ms, 3600 * K / mb
    print(f"{shape:>6} whole runs ({task} {L}/{H}/{d}, {steps} steps with checks and evaluation): {n_seq} one after "
          f"another {ms:.1f} s, K={K} stacked {mb:.1f} s -> runs per hour {rph_seq:.0f} vs {rph_bat:.0f}: "
          f"x{rph_bat / rph_seq:.2f}")
    return {"shape": shape, "task": task, "arch": [L, H, d], "seeds": K, "sequential_seeds": n_seq, "steps": steps,
            "repeats": repeats, "config": protocol_config(task, L, H, d, steps, str(device)).to_dict(),
            "separate_seconds": t_seq, "stacked_seconds": t_bat, "steps_run": stops,
            "separate_runs_per_hour": rph_seq, "stacked_runs_per_hour": rph_bat, "ratio": rph_bat / rph_seq}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    p.add_argument("--shapes", default=None, help=f"comma-separated among {', '.join(SHAPES)} "
                                                  "(default: small,medium on CPU, all on CUDA)")
    p.add_argument("--seeds", default=None, help="K values, comma-separated (default 4 on CPU, 8,32 on CUDA)")
    p.add_argument("--steps", type=int, default=None, help="training steps per timing (default 40 CPU, 200 CUDA)")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--sequential-seeds", type=int, default=4,
                   help="seeds of the one-after-another baseline (at most K; default 4): its speed per run "
                        "does not depend on K")
    p.add_argument("--run-steps", type=int, default=3000, help="steps of a run, for runs per hour (default 3000)")
    p.add_argument("--check-steps", type=int, default=30)
    p.add_argument("--tol", type=float, default=None, help="weight tolerance (default 1e-4 CPU, 5e-2 CUDA bf16)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (CPU; default 1, as lengen reproduce)")
    p.add_argument("--data-workers", type=int, default=None,
                   help="processes drawing the batches (default 0 on CPU, min(8, cpus - 1) on CUDA)")
    p.add_argument("--quick", action="store_true", help="small shape only, fewer steps")
    p.add_argument("--check-only", action="store_true")
    p.add_argument("--protocol", action="store_true",
                   help="also time whole runs (early-stopping checks, evaluation, files): train vs train_stacked")
    p.add_argument("--protocol-steps", type=int, default=None, help="steps of a whole run (default 200 CPU, 1000 CUDA)")
    p.add_argument("--out", default=str(DEFAULT_OUT))
    args = p.parse_args(argv)

    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    torch.set_num_threads(max(1, args.threads))
    shapes = (args.shapes.split(",") if args.shapes else (["small"] if args.quick else
                                                          (list(SHAPES) if cuda else ["small", "medium"])))
    Ks = [int(k) for k in args.seeds.split(",")] if args.seeds else ([8, 32] if cuda else [4])
    steps = args.steps or (200 if cuda else (20 if args.quick else 40))
    tol = args.tol if args.tol is not None else (5e-2 if cuda else 1e-4)
    dw = args.data_workers if args.data_workers is not None else (min(8, max(1, (os.cpu_count() or 2) - 1)) if cuda else 0)
    print(f"device: {describe(device)}; torch {torch.__version__}; {args.threads} thread(s); data workers {dw}")

    checks = [check(s, device, args.check_steps, tol, 0) for s in shapes]
    if dw:
        checks.append({**check(shapes[0], device, args.check_steps, tol, dw), "data_workers": dw})
    timings = []
    if not args.check_only:
        for s in shapes:
            for K in Ks:
                timings.append(measure(s, device, K, steps, args.repeats, args.run_steps, dw, args.sequential_seeds))
    ops = [count_ops(sh, device, Ks) for sh in shapes]
    protocol = []
    if args.protocol and not args.check_only:
        psteps = args.protocol_steps or (1000 if cuda else 200)
        for sh in shapes:
            for K in Ks:
                protocol.append(measure_protocol(sh, device, K, psteps, args.repeats, args.sequential_seeds))
    out = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "device": describe(device),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "threads": args.threads,
        "checks": checks,
        "timings": timings,
        "protocol_timings": protocol,
        "operators_per_step": ops,
        "note": "ratio = runs per hour stacked (K seeds at once) / runs per hour one after another "
                "(min(K, sequential_seeds) calls of lengen.train.train; medians of the repeats)",
    }
    write_json(args.out, out)
    print(f"wrote {args.out}")
    return 0 if all(c["ok"] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
