"""The positional products of trained models, with and without the regularizer: a study.

Three tasks, one for each kind of positional information a C-RASP[periodic, local] program may
use:

* ``unique_copy`` needs a **local** relation (the induction head reads the token at j = i - 1);
* ``bin_majority_interleave`` needs a **periodic** one (the group of a position is its residue
  mod 3 relative to ``<bos>``);
* ``majority`` needs **neither** (counts over all earlier positions).

Each task is trained with the paper's protocol (:func:`lengen.train.train`: random position
offsets, early stopping at 100% in-distribution) once without and once with the positional-product
regularizer (coefficient 1e-4 in the authors' runs).  Every head's product matrix
(:meth:`lengen.model.GPT.positional_products`) is then measured with
:func:`lengen.identify.positional.measure_matrix`.

Files (all written atomically; a rerun of the same command skips finished runs and resumes an
interrupted one from its checkpoint)::

    OUT/study.json                 every finished run: configuration, accuracy, ingredients, measures
    OUT/runs/NAME/result.json      lengen.train's result
    OUT/runs/NAME/summary.json     the run's entry of study.json
    OUT/runs/NAME/products.npz     the products (L, H, N, N), query i by key j (0-based); see
                                   :func:`save_products`
    OUT/runs/NAME/checkpoint.pt    the model (not committed: re-creatable and large)

``NAME`` is ``TASK-reg0`` or ``TASK-reg0.0001`` (:func:`run_name`).

The command line (wired into ``lengen`` as ``lengen positional``)::

    lengen positional study [--out results/positional] [--tasks T,...] [--regs 0,1e-4]
                            [--steps N] [--device auto|cpu|cuda] [--threads 1]
    lengen positional fit   [--out results/positional/product_fit.json] [--full] [--phis prev,mod3,...]
                            [--product-penalty C]

``fit`` runs the appendix G.2 experiment (:mod:`lengen.identify.product_fit`).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..cli_types import NATURAL, NONNEGATIVE_NUMBER, POSITIVE
from ..files import atomic_write_bytes, read_json, write_json

PROG = "lengen positional"


@dataclass(frozen=True)
class StudyTask:
    """One task of the study and the CPU-sized architecture and budget it is trained with."""

    task: str
    relation: str  # the positional information its program needs: "local", "periodic" or "none"
    n_layer: int
    n_head: int
    d_model: int
    lr: float
    steps: int  # maximum steps (early stopping usually ends sooner)

    def as_dict(self) -> dict:
        return asdict(self)


#: The study's tasks, with CPU-sized architectures and budgets (see ``results/positional/README.md``).
STUDY_TASKS: dict[str, StudyTask] = {
    "unique_copy": StudyTask("unique_copy", "local", 2, 1, 64, 1e-3, 10_000),
    "bin_majority_interleave": StudyTask("bin_majority_interleave", "periodic", 1, 4, 64, 1e-3, 8_000),
    "majority": StudyTask("majority", "none", 1, 2, 128, 1e-3, 8_000),
}
#: Regularizer coefficients: none, and the authors' 1e-4.
DEFAULT_REGS: tuple[float, ...] = (0.0, 1e-4)
#: Lags of the diagonal profile stored in the summaries (the products themselves are in products.npz).
PROFILE_LAGS = 64


def run_name(task: str, reg: float) -> str:
    """``TASK-reg0``, ``TASK-reg0.0001``: the run's directory name."""
    return f"{task}-reg{reg:g}"


@dataclass(frozen=True)
class StudyRun:
    """One training run of the study."""

    spec: StudyTask
    reg: float
    seed: int = 0

    @property
    def name(self) -> str:
        return run_name(self.spec.task, self.reg)


def study_plan(tasks: Sequence[str] | None = None, regs: Sequence[float] = DEFAULT_REGS,
               steps: int | None = None, seed: int = 0) -> list[StudyRun]:
    """The runs of the study: every task (default :data:`STUDY_TASKS`) with every coefficient.
    ``steps`` overrides every task's budget."""
    names = list(STUDY_TASKS) if not tasks else list(tasks)
    runs = []
    for t in names:
        if t not in STUDY_TASKS:
            raise ValueError(f"unknown study task {t!r}; choose from {', '.join(STUDY_TASKS)}")
        spec = STUDY_TASKS[t] if steps is None else replace(STUDY_TASKS[t], steps=steps)
        for r in regs:
            if r < 0:
                raise ValueError(f"a regularizer coefficient must be >= 0, got {r}")
            runs.append(StudyRun(spec, float(r), seed))
    return runs


def train_config(run: StudyRun, device: str = "auto", eval_examples: int = 1000) -> Any:
    """The :class:`lengen.train.TrainConfig` of a run (the paper's protocol at the run's size)."""
    from ..train import TrainConfig

    s = run.spec
    return TrainConfig(task=s.task, n_layer=s.n_layer, n_head=s.n_head, d_model=s.d_model, lr=s.lr, steps=s.steps,
                       reg=run.reg, seed=run.seed, device=device, eval_examples=eval_examples, checkpoint_every=500)


def summarize(model: Any, result: dict, run: StudyRun, tau: int = 3) -> tuple[dict, np.ndarray]:
    """The study's entry for a trained model, and its products (L, H, N, N) as float64."""
    import torch

    from .positional import diagonal_profile, measure_matrix, periodicity, regularizer_ingredients

    model = model.cpu().eval()
    with torch.no_grad():
        P = model.positional_products().double().numpy()
    heads = []
    for l in range(P.shape[0]):
        for h in range(P.shape[1]):
            m = measure_matrix(P[l, h], tau, layer=l, head=h).as_dict()
            g = diagonal_profile(P[l, h])
            m["profile"] = [float(x) for x in g[:PROFILE_LAGS]]
            m["period_scores"] = {str(k): v for k, v in periodicity(g).scores.items()}
            heads.append(m)
    summary = {
        "name": run.name,
        "task": run.spec.task,
        "relation": run.spec.relation,
        "reg": run.reg,
        "seed": run.seed,
        "architecture": {"n_layer": run.spec.n_layer, "n_head": run.spec.n_head, "d_model": run.spec.d_model,
                         "lr": run.spec.lr, "max_steps": run.spec.steps},
        "steps": result["steps"],
        "stopped_early": result["stopped_early"],
        "accuracy": result["accuracy"],
        "train_seconds": result["train_seconds"],
        "device": result["device"],
        "tau": tau,
        "ingredients": regularizer_ingredients(model).as_dict(),
        "heads": heads,
    }
    return summary, P


def save_products(path: str | Path, products: np.ndarray) -> None:
    """Atomically write ``products`` (L, H, N, N) to a compressed ``.npz``: each head's matrix
    divided by its largest absolute entry, as float16 (``products``), and those maxima (``scales``,
    (L, H)).  :func:`load_products` undoes it (relative error about 1e-3 of the largest entry)."""
    import io

    P = np.asarray(products, dtype=np.float64)
    scales = np.abs(P).max(axis=(-1, -2))
    scales = np.where(scales > 0, scales, 1.0)
    buf = io.BytesIO()
    np.savez_compressed(buf, products=(P / scales[..., None, None]).astype(np.float16), scales=scales)
    atomic_write_bytes(path, buf.getvalue())


def load_products(path: str | Path) -> np.ndarray:
    """The products written by :func:`save_products`, (L, H, N, N) float64."""
    with np.load(path) as f:
        return f["products"].astype(np.float64) * f["scales"][..., None, None]


def _order(summary: dict) -> tuple:
    names = list(STUDY_TASKS)
    t = summary["task"]
    return (names.index(t) if t in names else len(names), t, summary["reg"], summary.get("seed", 0))


def gather(out_dir: str | Path) -> dict:
    """Collect every ``runs/*/summary.json`` under ``out_dir`` into ``study.json`` (written
    atomically) and return it."""
    out = Path(out_dir)
    runs = [read_json(p) for p in sorted(out.glob("runs/*/summary.json"))]
    runs.sort(key=_order)
    study = {"tasks": {k: v.as_dict() for k, v in STUDY_TASKS.items()}, "runs": runs}
    write_json(out / "study.json", study)
    return study


def run_study(out_dir: str | Path, plan: Sequence[StudyRun], device: str = "auto", tau: int = 3,
              eval_examples: int = 1000, progress: bool = True, log: Any = None) -> dict:
    """Train (or resume) every run of ``plan`` under ``out_dir/runs/NAME``, measure its products
    and gather ``study.json``.  A run whose ``summary.json`` matches its configuration is skipped."""
    from ..train import train

    out = Path(out_dir)
    for run in plan:
        rdir = out / "runs" / run.name
        cfg = train_config(run, device, eval_examples)
        done = rdir / "summary.json"
        if done.exists():
            old = read_json(done)
            if old.get("architecture", {}).get("max_steps") == run.spec.steps and old.get("tau") == tau:
                if log:
                    log(f"{run.name}: done already ({old['steps']} steps)")
                continue
        t0 = time.perf_counter()
        if log:
            log(f"{run.name}: training ({run.spec.n_layer} layers, {run.spec.n_head} heads, d={run.spec.d_model}, "
                f"at most {run.spec.steps} steps, reg {run.reg:g})")
        res = train(cfg, out_dir=rdir, progress=progress)
        summary, P = summarize(res.model, res.result, run, tau)
        save_products(rdir / "products.npz", P)
        write_json(done, summary)
        gather(out)
        if log:
            acc = "  ".join(f"{k} {100 * v:.1f}%" for k, v in summary["accuracy"].items())
            log(f"{run.name}: {summary['steps']} steps, {time.perf_counter() - t0:.0f} s; {acc}")
    return gather(out)


class Study:
    """A study read back from disk: ``runs`` (the entries of ``study.json``) and their products."""

    def __init__(self, out_dir: str | Path) -> None:
        self.path = Path(out_dir)
        data = read_json(self.path / "study.json")
        self.tasks: dict = data["tasks"]
        self.runs: list[dict] = data["runs"]
        self._products: dict[str, np.ndarray] = {}

    @property
    def names(self) -> list[str]:
        return [r["name"] for r in self.runs]

    def run(self, name: str) -> dict:
        for r in self.runs:
            if r["name"] == name:
                return r
        raise KeyError(f"no run {name!r} in {self.path}; runs: {', '.join(self.names)}")

    def products(self, name: str) -> np.ndarray:
        """The run's product matrices (L, H, N, N) as float64."""
        if name not in self._products:
            self.run(name)
            self._products[name] = load_products(self.path / "runs" / name / "products.npz")
        return self._products[name]

    def table(self) -> list[dict]:
        """One row per head: run, task, relation, reg, accuracy per bin, and the head's measures."""
        rows = []
        for r in self.runs:
            for h in r["heads"]:
                rows.append({"run": r["name"], "task": r["task"], "relation": r["relation"], "reg": r["reg"],
                             **{f"acc {k}": v for k, v in r["accuracy"].items()},
                             **{k: h[k] for k in ("layer", "head", "translation_invariance", "locality", "period",
                                                  "period_strength", "rms")},
                             "positional term": r["ingredients"]["per_head"][h["layer"]][h["head"]]})
        return rows


def study_markdown(study: Study) -> str:
    """A Markdown table of the study: one row per head."""
    lines = ["| run | acc. [0,50] / [51,100] / [101,150] | layer, head | TI | local (τ) | period (strength) | "
             "positional term |", "|---|---|---|---|---|---|---|"]
    for r in study.runs:
        acc = " / ".join(f"{100 * v:.1f}" for v in r["accuracy"].values())
        for h in r["heads"]:
            per = f"{h['period']} ({h['period_strength']:.2f})" if h["period"] else "none"
            term = r["ingredients"]["per_head"][h["layer"]][h["head"]]
            lines.append(f"| {r['name']} | {acc} | {h['layer']}, {h['head']} | {h['translation_invariance']:.2f} | "
                         f"{h['locality']:.2f} ({r['tau']}) | {per} | {term:.3g} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The command line


def _floats(text: str, what: str) -> list[float]:
    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{what} must be a comma-separated list of numbers, got {text!r}") from None
    if not vals:
        raise ValueError(f"{what} is empty")
    return vals


def cmd_study(args: argparse.Namespace) -> int:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    tasks = [t for t in args.tasks.split(",") if t.strip()] if args.tasks else None
    plan = study_plan(tasks, _floats(args.regs, "--regs"), args.steps or None, args.seed)

    def log(msg: str) -> None:
        print(msg, flush=True)

    study = run_study(args.out, plan, args.device, args.tau, args.examples, progress=sys.stderr.isatty(), log=log)
    print(f"{len(study['runs'])} runs in {Path(args.out) / 'study.json'}")
    return 0


def cmd_fit(args: argparse.Namespace) -> int:
    from .product_fit import FULL, QUICK, fit_products

    settings = dict(FULL if args.full else QUICK)
    if args.steps:
        settings["steps"] = args.steps
    settings["product_penalty"] = args.product_penalty
    phis = [p for p in args.phis.split(",") if p.strip()]
    out = Path(args.out)
    results, products = {}, {}
    for phi in phis:
        r = fit_products(phi, seed=args.seed, threads=args.threads or None, keep_products=True, **settings)
        results[phi] = r.as_dict()
        products[phi] = r.products
        rel = "  ".join(f"length {L}: {r.relative(L):.3g}" for L in r.test_mse)
        print(f"{phi}: train MSE {r.train_mse:.4g}; test MSE / zero-prediction MSE  {rel}  ({r.seconds:.0f} s)",
              flush=True)
    write_json(out, {"settings": settings, "full": bool(args.full), "results": results})
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: np.asarray(v, dtype=np.float16) for k, v in products.items()})
    atomic_write_bytes(out.with_suffix(".npz"), buf.getvalue())
    print(f"results: {out} (learned products: {out.with_suffix('.npz')})")
    return 0


def add_positional_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``positional study`` and ``positional fit`` to ``subparsers``; sets ``args.func``."""
    p = subparsers.add_parser("positional", help="positional products of trained models; the appendix G.2 fit",
                              description="Train models with and without the positional-product regularizer and "
                                          "measure their positional products, or fit products to a target φ(i, j).")
    sub = p.add_subparsers(dest="positional_command", required=True)
    s = sub.add_parser("study", help="train the study's models and measure every head's positional products")
    s.add_argument("--out", default="results/positional", help="output directory (default results/positional)")
    s.add_argument("--tasks", help=f"comma-separated subset of {','.join(STUDY_TASKS)} (default: all)")
    s.add_argument("--regs", default=",".join(f"{r:g}" for r in DEFAULT_REGS),
                   help="regularizer coefficients (default 0,0.0001)")
    s.add_argument("--steps", type=NATURAL, default=0, help="maximum steps for every task (default: each task's budget)")
    s.add_argument("--tau", type=POSITIVE, default=3, help="window of the locality measure (default 3)")
    s.add_argument("--examples", type=POSITIVE, default=1000, help="test examples per bin (default 1000)")
    s.add_argument("--seed", type=NATURAL, default=0)
    s.add_argument("--device", default="auto", help="auto, cpu or cuda")
    s.add_argument("--threads", type=NATURAL, default=1, help="CPU threads (default 1; 0: torch's default)")
    s.set_defaults(func=cmd_study)
    f = sub.add_parser("fit", help="fit positional products to φ(i, j) and test on longer windows (appendix G.2)")
    f.add_argument("--out", default="results/positional/product_fit.json")
    f.add_argument("--phis", default="prev,mod3,half,first,window5", help="φ's (default prev,mod3,half,first,window5)")
    f.add_argument("--full", action="store_true", help="the authors' settings (15,000 steps) instead of 1,500")
    f.add_argument("--steps", type=NATURAL, default=0, help="override the number of steps")
    f.add_argument("--product-penalty", type=NONNEGATIVE_NUMBER, default=0.0,
                   help="add this multiple of the regularizer's positional term (default 0, as the authors)")
    f.add_argument("--seed", type=NATURAL, default=0)
    f.add_argument("--threads", type=NATURAL, default=1, help="CPU threads (default 1)")
    f.set_defaults(func=cmd_fit)
    return p
