"""The ``lengen`` command line.

    lengen tasks [--kind K] [--json]
    lengen train --task T [--layers --heads --d-model --lr --steps --batch-size --seed
                 --pe ape|nope --reg C --device auto|cpu|cuda --out DIR] [--json]
    lengen eval CHECKPOINT [--bins 0-50,51-100,101-150] [--examples N] [--json]
    lengen crasp run|info|check|compile ...
    lengen predict TASK|--from-file PATH [--fragment periodic,local] [--max-size K] [--json]
    lengen reproduce [--profile smoke|quick|paper] ... ;  lengen reproduce merge DIR...
    lengen positional study [--tasks T,...] [--regs 0,1e-4] [--out DIR] ;  lengen positional fit [--full]

Errors (unknown task, impossible length range, a number out of range such as ``--steps 0``,
missing CUDA, unreadable checkpoint) print one line to stderr and exit with status 2, without a
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from . import __version__
from .cli_types import NATURAL, NONNEGATIVE_NUMBER, POSITIVE, POSITIVE_NUMBER


def _print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2))


def _first_sentence(text: str, limit: int = 110) -> str:
    """The first sentence of a reason, cut to ``limit`` characters (the table's short form)."""
    first = text.split(".  ")[0].split(". ")[0]
    return first if len(first) <= limit else first[: limit - 3] + "..."


def cmd_tasks(args: argparse.Namespace) -> int:
    from .tasks import all_tasks

    tasks = all_tasks(args.kind)
    infos = [t.info() for t in tasks]
    if args.json:
        _print_json(infos)
        return 0
    mark = {True: "yes", False: "no"}
    rows = [("name", "kind", "vocab", "APE", "NoPE", "reason")]
    notes = []
    for i in infos:
        flags = []
        for pe in ("ape", "nope"):
            flag = mark[i["predicted"][pe]]
            if i["predicted"][pe] != i["stated"][pe]:
                flag += "*"
                notes.append(f"* {i['name']} {pe.upper()}: the {i['stated']['source']} flag is "
                             f"{mark[i['stated'][pe]]}; lengen's library says {mark[i['predicted'][pe]]}")
            flags.append(flag)
        rows.append((i["name"], i["kind"], str(i["vocab_size"]), *flags, _first_sentence(i["reason"])))
    widths = [max(len(r[c]) for r in rows) for c in range(5)]
    for r in rows:
        print("  ".join(r[c].ljust(widths[c]) for c in range(5)) + "  " + r[5])
    print("\npredicted: length generalization with APE (a program in C-RASP[periodic, local]) / with NoPE "
          "(a program in C-RASP[]), computed from lengen's C-RASP library")
    for n in notes:
        print(n)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .evaluate import parse_bins
    from .tasks import get_task
    from .train import TrainConfig, train

    task = get_task(args.task)  # unknown task -> UnknownTaskError, reported by main()
    cfg = TrainConfig(
        task=task.name,
        n_layer=args.layers,
        n_head=args.heads,
        d_model=args.d_model,
        pe=args.pe,
        lr=args.lr,
        steps=args.steps,
        batch_size=args.batch_size,
        seed=args.seed,
        reg=args.reg,
        device=args.device,
        eval_every=args.eval_every,
        eval_examples=args.examples,
        early_stop_examples=args.early_stop_examples,
        bins=parse_bins(args.bins),
        train_range=parse_bins(args.train_range)[0],
        offsets=not args.no_offsets,
        curve_examples=args.curve,
    )
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    out = Path(args.out) if args.out else Path("runs") / f"{task.name}-{args.pe}-L{args.layers}H{args.heads}D{args.d_model}-s{args.seed}"
    res = train(cfg, out_dir=out, progress=not args.json and sys.stderr.isatty()).result
    if args.json:
        _print_json(res)
    else:
        acc = "  ".join(f"{k}: {100 * v:.1f}%" for k, v in res["accuracy"].items())
        print(f"{task.name} ({args.pe}, {args.layers} layers, {args.heads} heads, d={args.d_model}): "
              f"{res['steps']} steps{' (early stop)' if res['stopped_early'] else ''}, {res['train_seconds']:.0f} s")
        print(f"exact-match accuracy  {acc}")
        print(f"checkpoint and result: {out}/")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import accuracy_by_length, evaluate_bins, parse_bins
    from .tasks import get_task
    from .train import load_checkpoint

    path = Path(args.checkpoint)
    if path.is_dir():
        path = path / "checkpoint.pt"
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}; pass a checkpoint.pt written by 'lengen train'")
    model, cfg, _ = load_checkpoint(path, args.device)
    task = get_task(cfg.task)
    bins = parse_bins(args.bins) if args.bins else cfg.bins
    acc = evaluate_bins(model, task, bins, args.examples, seed=args.seed)
    out: dict = {"checkpoint": str(path), "task": task.name, "pe": cfg.pe, "accuracy": acc}
    if args.curve:
        top = max(b[1] for b in bins)
        out["curve"] = {str(k): v for k, v in accuracy_by_length(model, task, range(top + 1), args.curve, args.seed).items()}
    if args.json:
        _print_json(out)
    else:
        print(f"{task.name} ({cfg.pe}) from {path}")
        for k, v in acc.items():
            print(f"  {k:>10}  {100 * v:6.1f}%")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lengen", description="Length generalization in transformers (Huang et al., ICLR 2025).")
    p.add_argument("--version", action="version", version=f"lengen {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("tasks", help="list the tasks and the theory's predictions")
    t.add_argument("--kind", choices=["algorithmic", "language", "counter"])
    t.add_argument("--json", action="store_true", help="machine-readable output")
    t.set_defaults(func=cmd_tasks)

    tr = sub.add_parser("train", help="train a model on a task with the paper's protocol")
    tr.add_argument("--task", required=True)
    tr.add_argument("--layers", type=NATURAL, default=1)
    tr.add_argument("--heads", type=POSITIVE, default=1)
    tr.add_argument("--d-model", type=POSITIVE, default=16)
    tr.add_argument("--lr", type=POSITIVE_NUMBER, default=1e-3)
    tr.add_argument("--steps", type=POSITIVE, default=30_000, help="maximum steps (early stop at 100%% in-distribution)")
    tr.add_argument("--batch-size", type=POSITIVE, default=64)
    tr.add_argument("--seed", type=NATURAL, default=0)
    tr.add_argument("--pe", choices=["ape", "nope"], default="ape")
    tr.add_argument("--reg", type=NONNEGATIVE_NUMBER, default=0.0, help="positional-product regularizer coefficient (paper: 1e-4)")
    tr.add_argument("--device", default="auto", help="auto, cpu or cuda")
    tr.add_argument("--threads", type=NATURAL, default=0, help="CPU threads (0: torch's default)")
    tr.add_argument("--train-range", default="0-50")
    tr.add_argument("--bins", default="0-50,51-100,101-150")
    tr.add_argument("--examples", type=POSITIVE, default=2000, help="test examples per bin")
    tr.add_argument("--eval-every", type=POSITIVE, default=500, help="steps between early-stopping checks (default 500; the paper: 3000)")
    tr.add_argument("--early-stop-examples", type=POSITIVE, default=500,
                    help="held-out training-length examples of each early-stopping check (default 500; the paper checks 2000)")
    tr.add_argument("--curve", type=NATURAL, default=0, help="examples per single length for an accuracy curve")
    tr.add_argument("--no-offsets", action="store_true", help="train without random position offsets")
    tr.add_argument("--out", help="run directory (default runs/<task>-<pe>-L..H..D..-s<seed>)")
    tr.add_argument("--json", action="store_true")
    tr.set_defaults(func=cmd_train)

    ev = sub.add_parser("eval", help="evaluate a checkpoint by length bin")
    ev.add_argument("checkpoint")
    ev.add_argument("--bins", help="e.g. 0-50,51-100,101-150 (default: the training run's bins)")
    ev.add_argument("--examples", type=POSITIVE, default=2000)
    ev.add_argument("--curve", type=NATURAL, default=0, help="examples per single length for an accuracy curve")
    ev.add_argument("--seed", type=NATURAL, default=0)
    ev.add_argument("--device", default="auto")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=cmd_eval)

    try:
        from .crasp.cli import add_crasp_parser
    except ImportError:  # pragma: no cover - only while the C-RASP package is absent
        pass
    else:
        add_crasp_parser(sub)
    from .identify.cli import add_predict_parser

    add_predict_parser(sub)
    from .experiments.cli import add_reproduce_parser

    add_reproduce_parser(sub)
    from .identify.positional_study import add_positional_parser

    add_positional_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .devices import DeviceError
    from .tasks import TaskError

    expected: tuple[type[BaseException], ...] = (TaskError, DeviceError, ValueError, FileNotFoundError, IndexError)
    try:
        return int(args.func(args) or 0)
    except expected as e:
        print(f"lengen: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lengen: interrupted; rerun the same command to resume from the last checkpoint", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
