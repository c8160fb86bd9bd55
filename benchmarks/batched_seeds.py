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
   the repeats and reporting medians: training steps per second summed over the seeds, runs
   completed per hour for runs of ``--run-steps`` steps, and the ratio stacked / one after
   another.  A separate run's speed does not depend on how many follow it, so one baseline of
   ``min(max K, --sequential-seeds)`` seeds (default 4) serves every K.  A stack's data processes
   are started before the clock starts (their start-up is recorded on its own);
3. **counts** the PyTorch operators a training step dispatches once its batch is drawn (about one
   kernel launch each on a GPU): one separate run against a stack of K, and the operators of
   drawing one run's batch -- a device-independent view of why stacking should pay on a GPU;
4. with ``--protocol``, also times whole runs under the protocol -- early-stopping checks, final
   evaluation of every bin, result files -- as ``lengen reproduce`` runs them: separate
   ``train`` calls against one :func:`lengen.experiments.stacked_runs.train_stacked` call
   (``lengen reproduce --stack``, with the data processes it gives a stack), and with
   ``--parallel-workers N`` (default 4 on CUDA) against N runs in N processes at once
   (``lengen reproduce``'s way of filling a GPU); it records whether the seeds both ways ran
   the same steps and reached the same accuracies.

The order is checks, operators, whole runs, training steps; the result file is rewritten after
every measurement (``"complete": false`` until the end), and a measurement that fails is recorded
under ``"errors"`` while the others go on.

Usage::

    python benchmarks/batched_seeds.py                    # CPU, one torch thread (a few minutes)
    python benchmarks/batched_seeds.py --quick            # one shape, fewer steps
    python benchmarks/batched_seeds.py --device cuda      # on a GPU: K = 2, 8, 32, data worker processes
    python benchmarks/batched_seeds.py --check-only
    python benchmarks/batched_seeds.py --protocol         # add whole runs (checks, evaluation, files)
    python benchmarks/batched_seeds.py --device cuda --protocol --repeats 1 --protocol-steps 300
    benchmarks/gpu_measurements.sh OUT_DIR                # all GPU measurements, each under a time limit

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


def batched(cfg: TrainConfig, seeds: list[int], device: torch.device, data_workers: int) -> tuple[float, float]:
    """K stacked seeds: (seconds of the training steps, seconds to start the data processes).

    The data processes are started, and their first batches awaited, before the clock starts: a
    process start-up (about a second: ``spawn`` imports torch) is paid once per run of thousands of
    steps, not once per timing of a few hundred, and is reported on its own."""
    with StackedSeeds(cfg, seeds, device, data_workers=data_workers) as st:
        t = time.perf_counter()
        st.start_data()
        startup = time.perf_counter() - t
        sync(device)
        t = time.perf_counter()
        st.train(cfg.steps)
        sync(device)
        return time.perf_counter() - t, startup


def _batched_model(cfg: TrainConfig, seeds: list[int], device: torch.device, data_workers: int) -> StackedSeeds:
    st = StackedSeeds(cfg, seeds, device, data_workers=data_workers)
    with st:
        st.train(cfg.steps)
    return st


def check(shape: str, device: torch.device, steps: int, tol: float, data_workers: int) -> dict:
    task, L, H, d = SHAPES[shape]
    cfg = config(task, L, H, d, steps, str(device))
    seeds = [0, 1, 2]
    _, ref = sequential(cfg, seeds, device)
    st = _batched_model(cfg, seeds, device, data_workers)
    same = [max_weight_difference(st.state_dict(k), ref[k]) for k in range(len(seeds))]
    other = max_weight_difference(ref[0], ref[1])
    ok = max(same) <= tol
    print(f"check {shape} ({task} {L}/{H}/{d}, {steps} steps, seeds {seeds}): max |batched - separate| = "
          f"{max(same):.2e} (tolerance {tol:.0e}) {'OK' if ok else 'FAILED'}; "
          f"seed 0 vs seed 1 differ by {other:.2e}")
    return {"shape": shape, "task": task, "arch": [L, H, d], "steps": steps, "seeds": seeds,
            "max_diff_same_seed": max(same), "per_seed": same, "diff_between_seeds": other, "tolerance": tol, "ok": ok}


def measure(shape: str, device: torch.device, Ks: list[int], steps: int, repeats: int, run_steps: int,
            data_workers: int, n_sequential: int) -> list[dict]:
    """Training steps: stacks of K seeds for each K in ``Ks`` against seeds one after another.

    A separate run's speed does not depend on how many runs follow it, so one baseline of
    ``min(max(Ks), n_sequential)`` seeds serves every K; the repeats interleave baseline and stacks."""
    task, L, H, d = SHAPES[shape]
    cfg = config(task, L, H, d, steps, str(device))
    n_seq = min(max(Ks), n_sequential)
    # warm-up (allocators, oneDNN/cuBLAS handles, kernels of every stack size)
    sequential(config(task, L, H, d, 3, str(device)), [0], device)
    for K in Ks:
        batched(config(task, L, H, d, 3, str(device)), list(range(K)), device, 0)
    t_seq: list[float] = []
    t_bat: dict[int, list[float]] = {K: [] for K in Ks}
    t_start: dict[int, list[float]] = {K: [] for K in Ks}
    for _ in range(repeats):
        t_seq.append(sequential(cfg, list(range(n_seq)), device)[0])
        for K in Ks:
            t, s0 = batched(cfg, list(range(K)), device, data_workers)
            t_bat[K].append(t)
            t_start[K].append(s0)
    ms = statistics.median(t_seq)
    sps_seq = n_seq * steps / ms
    rph_seq = 3600 * sps_seq / run_steps
    rows = []
    for K in Ks:
        mb = statistics.median(t_bat[K])
        sps_bat = K * steps / mb
        rph_bat = 3600 * sps_bat / run_steps
        print(f"{shape:>6} ({task} {L}/{H}/{d}), {steps} steps: {n_seq} seeds one after another {ms:.1f} s, "
              f"K={K} stacked {mb:.1f} s -> {sps_seq:.0f} vs {sps_bat:.0f} steps/s; runs of {run_steps} steps per "
              f"hour {rph_seq:.1f} vs {rph_bat:.1f}: x{rph_bat / rph_seq:.2f}", flush=True)
        rows.append({"shape": shape, "task": task, "arch": [L, H, d], "seeds": K, "sequential_seeds": n_seq,
                     "steps": steps, "repeats": repeats, "sequential_seconds": t_seq, "batched_seconds": t_bat[K],
                     "data_start_seconds": t_start[K],
                     "sequential_steps_per_s": sps_seq, "batched_steps_per_s": sps_bat,
                     "run_steps": run_steps, "sequential_runs_per_hour": rph_seq, "batched_runs_per_hour": rph_bat,
                     "ratio": rph_bat / rph_seq, "data_workers": min(data_workers, K)})
    return rows


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


def _parallel_run(cfg: dict, out_dir: str) -> dict:
    """One whole run in a worker process (as ``lengen reproduce --workers N`` runs one)."""
    return train(TrainConfig.from_dict(cfg), out_dir=out_dir, progress=False).result


def _worker_ready(device: str) -> int:
    """Started in each worker process: one torch thread, and the CUDA context made."""
    torch.set_num_threads(1)
    resolve_device(device)
    if device.startswith("cuda"):
        torch.zeros(1, device=device)  # create the CUDA context before the clock starts
    return os.getpid()


def parallel_runs(cfgs: list[TrainConfig], workers: int, out: Path, device: torch.device) -> tuple[float, list[dict]]:
    """``cfgs`` as whole runs in ``workers`` processes at once (``lengen reproduce --workers``'s way
    of filling a GPU): seconds from the first submission to the last result, the processes already
    started and holding a CUDA context, and the results."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        list(pool.map(_worker_ready, [str(device)] * (4 * workers)))  # start every process
        # each process imports lengen and runs a 3-step run first (module loading, kernels)
        warm = [pool.submit(_parallel_run, {**cfgs[0].to_dict(), "steps": 3, "eval_every": 3, "checkpoint_every": 3},
                            str(out / f"warm{i}")) for i in range(2 * workers)]
        for f in warm:
            f.result()
        t = time.perf_counter()
        futures = [pool.submit(_parallel_run, c.to_dict(), str(out / f"par-{c.seed}")) for c in cfgs]
        results = [f.result() for f in futures]
        seconds = time.perf_counter() - t
    return seconds, results


def measure_protocol(shape: str, device: torch.device, Ks: list[int], steps: int, repeats: int, n_sequential: int,
                     stack_workers: int, parallel: int) -> list[dict]:
    """Whole runs: for each K in ``Ks``, K runs in one ``train_stacked`` call (with ``stack_workers``
    data processes, as ``lengen reproduce --stack`` gives it) against ``min(max(Ks), n_sequential)``
    runs one after another (``train``), and, with ``parallel`` > 1, against ``parallel`` runs in as
    many worker processes at once.  The seeds are shared, so their outcomes can be compared."""
    import tempfile

    from lengen.experiments.stacked_runs import train_stacked

    task, L, H, d = SHAPES[shape]
    base = protocol_config(task, L, H, d, steps, str(device))
    cfgs = [TrainConfig.from_dict({**base.to_dict(), "seed": s}) for s in range(max(Ks + [parallel]))]
    n_seq = min(max(Ks), n_sequential)
    t_seq: list[float] = []
    t_bat: dict[int, list[float]] = {K: [] for K in Ks}
    t_par: list[float] = []
    stops: dict[int, list[dict]] = {K: [] for K in Ks}
    par_stops: list[dict] = []
    for r in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            sync(device)
            t = time.perf_counter()
            seq = [train(c, out_dir=Path(tmp) / f"seq{r}-{c.seed}", progress=False).result for c in cfgs[:n_seq]]
            sync(device)
            t_seq.append(time.perf_counter() - t)
            for K in Ks:
                t = time.perf_counter()
                bat = train_stacked(cfgs[:K], [Path(tmp) / f"bat{r}-{K}-{c.seed}" for c in cfgs[:K]],
                                    device=str(device), data_workers=stack_workers)
                sync(device)
                t_bat[K].append(time.perf_counter() - t)
                stops[K].append({"separate": [x["steps"] for x in seq], "stacked": [x["steps"] for x in bat],
                                 "same_accuracy": [a["accuracy"] == b["accuracy"] for a, b in zip(seq, bat)]})
            if parallel > 1:
                tp, par = parallel_runs(cfgs[:parallel], parallel, Path(tmp), device)
                t_par.append(tp)
                par_stops.append({"parallel": [x["steps"] for x in par]})
    ms = statistics.median(t_seq)
    rph_seq = 3600 * n_seq / ms
    rph_par = 3600 * parallel / statistics.median(t_par) if t_par else None
    rows = []
    for K in Ks:
        mb = statistics.median(t_bat[K])
        rph_bat = 3600 * K / mb
        par = (f"; {parallel} runs in {parallel} processes {statistics.median(t_par):.1f} s, {rph_par:.0f} runs/h, "
               f"stacked x{rph_bat / rph_par:.2f}" if rph_par else "")
        print(f"{shape:>6} whole runs ({task} {L}/{H}/{d}, {steps} steps with checks and evaluation): {n_seq} one after "
              f"another {ms:.1f} s, K={K} stacked {mb:.1f} s -> runs per hour {rph_seq:.0f} vs {rph_bat:.0f}: "
              f"x{rph_bat / rph_seq:.2f}{par}", flush=True)
        rows.append({"shape": shape, "task": task, "arch": [L, H, d], "seeds": K, "sequential_seeds": n_seq,
                     "steps": steps, "repeats": repeats, "config": base.to_dict(), "stack_data_workers": stack_workers,
                     "separate_seconds": t_seq, "stacked_seconds": t_bat[K], "steps_run": stops[K],
                     "separate_runs_per_hour": rph_seq, "stacked_runs_per_hour": rph_bat, "ratio": rph_bat / rph_seq,
                     "parallel_workers": parallel if t_par else 0, "parallel_seconds": t_par,
                     "parallel_steps_run": par_stops, "parallel_runs_per_hour": rph_par,
                     "ratio_vs_parallel": rph_bat / rph_par if rph_par else None})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    p.add_argument("--shapes", default=None, help=f"comma-separated among {', '.join(SHAPES)} "
                                                  "(default: small,medium on CPU, all on CUDA)")
    p.add_argument("--seeds", default=None, help="K values, comma-separated (default 4 on CPU, 2,8,32 on CUDA)")
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
    p.add_argument("--stack-data-workers", type=int, default=None,
                   help="data processes of a stack in whole runs (default: what lengen reproduce --stack gives "
                        "one stack: up to 4 on CUDA, 0 on CPU)")
    p.add_argument("--parallel-workers", type=int, default=None,
                   help="also time this many whole runs in as many processes at once, lengen reproduce's default "
                        "on a GPU (default 4 on CUDA, 0 = off on CPU)")
    p.add_argument("--out", default=str(DEFAULT_OUT))
    args = p.parse_args(argv)

    from lengen.experiments.reproduce import _stack_data_workers

    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    torch.set_num_threads(max(1, args.threads))
    shapes = (args.shapes.split(",") if args.shapes else (["small"] if args.quick else
                                                          (list(SHAPES) if cuda else ["small", "medium"])))
    Ks = [int(k) for k in args.seeds.split(",")] if args.seeds else ([2, 8, 32] if cuda else [4])
    steps = args.steps or (200 if cuda else (20 if args.quick else 40))
    tol = args.tol if args.tol is not None else (5e-2 if cuda else 1e-4)
    dw = args.data_workers if args.data_workers is not None else (min(8, max(1, (os.cpu_count() or 2) - 1)) if cuda else 0)
    sw = args.stack_data_workers if args.stack_data_workers is not None else _stack_data_workers(str(device), 1)
    par = args.parallel_workers if args.parallel_workers is not None else (4 if cuda else 0)
    print(f"device: {describe(device)}; torch {torch.__version__}; {args.threads} thread(s); data workers {dw} "
          f"(training steps), {sw} (whole runs in a stack)", flush=True)

    out: dict = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "device": describe(device),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "threads": args.threads,
        "command": "python benchmarks/batched_seeds.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "checks": [],
        "operators_per_step": [],
        "protocol_timings": [],
        "timings": [],
        "errors": [],
        "complete": False,
        "note": "ratio = runs per hour stacked (K seeds at once) / runs per hour one after another "
                "(min(max K, sequential_seeds) calls of lengen.train.train; medians of the repeats); "
                "ratio_vs_parallel = stacked / parallel_workers whole runs in as many processes at once",
    }

    def save() -> None:  # after every measurement: an interrupted benchmark keeps what it measured
        write_json(args.out, out)

    def attempt(what: str, fn) -> None:
        """Run one measurement ``fn() -> (key, rows)``, add its rows under ``key``, save."""
        try:
            got = fn()
        except Exception as e:  # record and go on with the next measurement
            import traceback

            traceback.print_exc()
            out["errors"].append({"what": what, "error": f"{type(e).__name__}: {e}"})
        else:
            key, value = got
            out[key].extend(value if isinstance(value, list) else [value])
        save()

    for sh in shapes:
        attempt(f"check {sh}", lambda sh=sh: ("checks", check(sh, device, args.check_steps, tol, 0)))
    if dw:
        attempt("check with data workers",
                lambda: ("checks", {**check(shapes[0], device, args.check_steps, tol, dw), "data_workers": dw}))
    for sh in shapes:
        attempt(f"operators {sh}", lambda sh=sh: ("operators_per_step", count_ops(sh, device, Ks)))
    if args.protocol and not args.check_only:
        psteps = args.protocol_steps or (1000 if cuda else 200)
        for sh in shapes:
            attempt(f"whole runs {sh}", lambda sh=sh: ("protocol_timings", measure_protocol(
                sh, device, Ks, psteps, args.repeats, args.sequential_seeds, sw, par)))
    if not args.check_only:
        for sh in shapes:
            attempt(f"training steps {sh}", lambda sh=sh: ("timings", measure(
                sh, device, Ks, steps, args.repeats, args.run_steps, dw, args.sequential_seeds)))
    out["complete"] = True
    save()
    print(f"wrote {args.out}")
    return 0 if out["checks"] and all(c["ok"] for c in out["checks"]) and not out["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
