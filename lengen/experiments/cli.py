"""``lengen reproduce``: the paper's experiments end to end.

    lengen reproduce [--profile smoke|quick|paper] [--tasks a,b] [--pe ape,nope,reg] [--seeds N|0,3,7]
                     [--device auto|cpu|cuda[:k]] [--out DIR] [--workers N] [--threads T] [--shard K/N]
                     [--time-limit MINUTES] [--stack] [--dry-run] [--no-library]
    lengen reproduce merge DIR [DIR ...] [--out DIR] [--no-library]

The same command also runs as ``python -m lengen.experiments ...``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from ..cli_types import NATURAL, POSITIVE_NUMBER
from .protocol import PROFILES, build_plan, get_profile, parse_pes, parse_seeds, parse_shard, parse_tasks

EPILOG = """profiles:
  smoke  4 tasks x APE/NoPE, tiny model, a few hundred steps: a pipeline check (minutes on 2 CPU cores)
  quick  every algorithmic task and language x APE/NoPE, CPU-sized models, 1 seed (42 minutes measured on
         2 cores; --dry-run gives an upper estimate); resumable: interrupt and rerun
  paper  the authors' 54-configuration sweep, big-model fallback, 5 kept seeds (for a GPU)

Outputs go to results/<profile>/: runs/ (one directory per run), table.csv, table.md, figure1.png,
figure1.svg, verdicts.json, run_info.json.  Rerunning skips finished runs and resumes interrupted ones.
Languages use lengen's uniform length protocol (train [0,50], bins [0,50], [51,100], [101,150]),
a departure from the authors' per-language ranges.
"""


_DESCRIPTION = __doc__.split("\n\n")[0].replace("``", "")  # the first line, without RST markup


def _default_workers(device: str) -> int:
    cpus = os.cpu_count() or 1
    try:
        import torch

        from ..devices import run_devices

        cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
        n_gpus = len(run_devices(device)) if cuda else 0
    except Exception:  # pragma: no cover - a bad device is reported later, by resolve_device
        cuda, n_gpus = False, 0
    # CPU: one thread per run and two runs in parallel beat two threads per run (cpu-calibration.md).
    # GPU: four runs share one GPU (small models leave it idle), on every GPU the runs may use.
    return min(4 * max(1, n_gpus), cpus) if cuda else max(1, min(2, cpus))


def _argv(args: argparse.Namespace) -> list[str]:
    """The command line, for run_info.json."""
    argv = getattr(args, "argv", None)
    return ["lengen", *(argv if argv is not None else sys.argv[1:])]


def cmd_reproduce(args: argparse.Namespace) -> int:
    from .reproduce import describe_plan, reproduce

    profile = get_profile(args.profile)
    tasks = parse_tasks(args.tasks, profile.tasks)
    pes = parse_pes(args.pe, profile.pes)
    seeds = parse_seeds(args.seeds, profile.n_seeds)
    shard = parse_shard(args.shard)
    plan = build_plan(profile, tasks, pes, seeds)
    workers = args.workers if args.workers else _default_workers(args.device)
    if args.dry_run:
        print(describe_plan(plan, shard, workers=max(2, workers)))
        return 0
    from ..devices import resolve_device

    dev = resolve_device(args.device)  # a missing CUDA fails here, before any run starts
    if args.stack and dev.type == "cpu":
        print("lengen reproduce: note: --stack is meant for GPUs; on a CPU a stack of 2-layer d=64 models "
              "trains about 0.8x as fast as the same runs one after another (benchmarks/README.md)",
              file=sys.stderr)
    out = Path(args.out) if args.out else Path("results") / profile.name
    options = {"profile": profile.name, "tasks": tasks, "pes": pes,
               "seeds": seeds if isinstance(seeds, int) else list(seeds), "device": args.device,
               "stack": args.stack}
    try:
        summary = reproduce(
            plan, out, shard=shard, workers=workers, threads=args.threads, device=args.device,
            time_limit=args.time_limit * 60 if args.time_limit else None, options=options,
            argv=_argv(args), use_library=not args.no_library, stack=args.stack,
        )
    except KeyboardInterrupt:
        print("lengen reproduce: interrupted; rerun the same command to resume (finished runs are kept, "
              "interrupted ones continue from their last checkpoint)", file=sys.stderr)
        return 130
    ex = summary["execution"]
    return 1 if ex.failed else 0


def cmd_merge(args: argparse.Namespace) -> int:
    from .reproduce import merge

    res = merge(args.dirs, args.out, use_library=not args.no_library, argv=_argv(args))
    return 0 if res else 1


def _configure(rp: argparse.ArgumentParser) -> None:
    rp.add_argument("--profile", choices=list(PROFILES), default="smoke", help="which protocol (default: smoke)")
    rp.add_argument("--tasks", help="comma-separated task names, or algorithmic / language (default: the profile's)")
    rp.add_argument("--pe", help="comma-separated variants among ape, nope, reg (reg = APE + regularizer 1e-4); "
                                 "default ape,nope")
    rp.add_argument("--seeds", help="number of seeds to keep (e.g. 5) or an exact list (e.g. 0,3,7); "
                                    "default: the profile's (smoke/quick 1, paper 5)")
    rp.add_argument("--device", default="auto",
                    help="auto, cpu, cuda (parallel runs spread over every GPU) or cuda:k (all on GPU k)")
    rp.add_argument("--out", help="output directory (default results/<profile>/)")
    rp.add_argument("--workers", type=NATURAL, default=0,
                    help="independent runs in parallel processes (default: 2 on CPU, 4 per GPU on CUDA)")
    rp.add_argument("--threads", type=NATURAL, default=1, help="torch threads per run (default 1)")
    rp.add_argument("--shard", help="K/N: run the K-th of N deterministic slices of the groups")
    rp.add_argument("--time-limit", type=POSITIVE_NUMBER, default=None, metavar="MINUTES",
                    help="start no new run after this many minutes (rerun later to continue)")
    rp.add_argument("--stack", action="store_true",
                    help="train runs that differ only in seed or learning rate together, as one stacked model "
                         "(the seeds of a selected architecture, the learning rates of a sweep shape); for "
                         "GPUs; the same runs up to float rounding; see benchmarks/batched_seeds.py")
    rp.add_argument("--dry-run", action="store_true", help="list the runs and the estimated cost, train nothing")
    rp.add_argument("--no-library", action="store_true",
                    help="colour by the tasks' stored prediction flags instead of asking the C-RASP library")
    rp.set_defaults(func=cmd_reproduce)
    sub = rp.add_subparsers(dest="reproduce_command", metavar="merge")
    mp = sub.add_parser("merge", help="join the shards' run files into one table, figure and verdicts")
    mp.add_argument("dirs", nargs="+", help="output directories of the shards")
    mp.add_argument("--out", help="where to write the merged report (default results/<profile>/)")
    mp.add_argument("--no-library", action="store_true")
    mp.set_defaults(func=cmd_merge)


def add_reproduce_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``reproduce`` (and ``reproduce merge``) to the ``lengen`` command line."""
    rp = subparsers.add_parser(
        "reproduce", help="reproduce the paper's experiments end to end (table, Figure 1, verdicts)",
        description=_DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _configure(rp)
    return rp


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lengen.experiments", description=_DESCRIPTION,
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _configure(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point (``python -m lengen.experiments``), with lengen's error handling."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = ["reproduce", *argv]
    from ..devices import DeviceError
    from ..tasks import TaskError

    try:
        return int(args.func(args) or 0)
    except (TaskError, DeviceError, ValueError, FileNotFoundError, IndexError) as e:
        print(f"lengen: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
