"""Pick a task, see its measured accuracy at each length for every seed and positional variant.

:func:`task_curves` is the pure function (tested in ``tests/test_results_view.py``): it reads the
runs of one task from one or more ``lengen reproduce`` output directories and returns one
:class:`SeedCurve` per run.  :func:`draw_task` plots them; :class:`ResultsView` is the thin
ipywidgets wrapper (a task menu above the plot and a per-seed table)::

    >>> curves = task_curves({"quick": "results/quick"}, "bin_majority")   # doctest: +SKIP

Where the runs come from: ``runs.json`` of each directory (written by ``lengen reproduce`` and kept
under version control) lists every run used in the table with its accuracy per length bin.  When a
run's own ``runs/<task>/<run>/result.json`` is present and holds a per-length curve, that curve is
used instead (points at single lengths); otherwise each bin is one point, drawn at the bin's middle.
A directory without ``runs.json`` is read from its ``result.json`` files.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib.pyplot as plt

from ..experiments.figures import GREEN, RED, STYLE
from ..tasks import get_task

PE_NAMES = {"ape": "APE", "nope": "NoPE", "reg": "APE + Reg"}


@dataclass
class SeedCurve:
    """One run of a task: accuracy (0..1) at lengths ``xs`` (bin midpoints or single lengths)."""

    source: str  # the label of the results directory
    run_id: str
    pe: str
    seed: int
    architecture: str
    bins: dict[str, float]  # bin name -> accuracy
    xs: list[float]
    ys: list[float]
    per_length: bool  # True: single lengths from the run's curve; False: one point per bin
    steps: int | None
    stopped_early: bool | None

    @property
    def in_distribution(self) -> float:
        """Accuracy on the first bin (the training lengths)."""
        return next(iter(self.bins.values()))


def _bin_bounds(name: str) -> tuple[int, int]:
    lo, hi = name.strip("[]").split(",")
    return int(lo), int(hi)


def _architecture(config: Mapping) -> str:
    return f"{config.get('n_layer')}/{config.get('n_head')}/{config.get('d_model')} lr {float(config.get('lr', 0)):.0e}"


def _runs_of(root: Path, task: str) -> list[dict]:
    """The run entries of ``task`` in one directory (runs.json, else every result.json)."""
    index = root / "runs.json"
    if index.exists():
        return [r for r in json.loads(index.read_text()) if r.get("task") == task]
    out = []
    for p in sorted((root / "runs" / task).glob("*/result.json")):
        res = json.loads(p.read_text())
        cfg = res.get("config", {})
        pe = "reg" if cfg.get("reg", 0) > 0 else cfg.get("pe", "ape")
        out.append({"run_id": f"{task}/{p.parent.name}", "task": task, "pe": pe, "seed": res.get("seed", 0),
                    "architecture": _architecture(cfg), "steps": res.get("steps"),
                    "stopped_early": res.get("stopped_early"), "accuracy": res["accuracy"]})
    return out


def task_curves(sources: Mapping[str, str | Path] | str | Path, task: str) -> list[SeedCurve]:
    """Every run of ``task`` in the given results directories (``{label: directory}``, or one
    directory), ordered by variant (APE, NoPE, Reg), then directory, then seed.  A directory that
    does not exist contributes nothing."""
    get_task(task)  # unknown task -> error
    if isinstance(sources, (str, Path)):
        sources = {Path(sources).name: sources}
    curves: list[SeedCurve] = []
    for label, d in sources.items():
        root = Path(d)
        if not root.is_dir():
            continue
        for r in _runs_of(root, task):
            bins = {k: float(v) for k, v in r["accuracy"].items()}
            result = root / "runs" / r["run_id"] / "result.json"
            curve = {}
            if result.exists():
                curve = json.loads(result.read_text()).get("curve") or {}
            if curve:
                xs = sorted(float(n) for n in curve)
                ys = [float(curve[str(int(x))]) for x in xs]
                per_length = True
            else:
                xs = [sum(_bin_bounds(b)) / 2 for b in bins]
                ys = list(bins.values())
                per_length = False
            curves.append(SeedCurve(str(label), r["run_id"], r["pe"], int(r.get("seed", 0)),
                                    r.get("architecture", ""), bins, xs, ys, per_length, r.get("steps"),
                                    r.get("stopped_early")))
    order = {"ape": 0, "nope": 1, "reg": 2}
    labels = list(sources)
    curves.sort(key=lambda c: (order.get(c.pe, 3), labels.index(c.source), c.seed))
    return curves


def program_flags(task: str) -> dict[str, bool]:
    """Whether lengen's C-RASP library has a program for each variant (``reg`` has APE's)."""
    from ..predictions import predict

    p = predict(task)
    return {"ape": p.ape, "nope": p.nope, "reg": p.ape}


def draw_task(curves: Sequence[SeedCurve], task: str, ax: plt.Axes | None = None,
              train_max: int | None = 50) -> plt.Axes:
    """Accuracy (%) against input length, one line per run: line style and marker by variant
    (APE solid ▶, NoPE dotted ✕, Reg dashed ■), green and filled where a C-RASP program exists for
    the variant, vermillion and hollow where not; the training lengths are shaded."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.4))
    flags = program_flags(task)
    seen = set()
    for c in curves:
        st = STYLE[c.pe]
        prog = flags.get(c.pe, False)
        color = GREEN if prog else RED
        label = f"{PE_NAMES[c.pe]} {'✓' if prog else '✗'}, seed {c.seed} ({c.architecture})"
        if len({x.source for x in curves}) > 1:
            label += f" [{c.source}]"
        ax.plot(c.xs, [100 * y for y in c.ys], linestyle=st["linestyle"], marker=st["marker"], color=color,
                markerfacecolor=color if prog else "white", markeredgecolor=color, lw=1.6, ms=6, mew=1.2,
                label=label if (c.pe, c.source, c.seed) not in seen else None)
        seen.add((c.pe, c.source, c.seed))
    if train_max is not None:
        ax.axvspan(0, train_max, color="0.92", zorder=0, label="training lengths")
    ax.set_xlim(0, 152)
    ax.set_ylim(-5, 105)
    ax.set_xlabel("input length (symbols); one point per length bin, at its middle"
                  if curves and not any(c.per_length for c in curves) else "input length (symbols)")
    ax.set_ylabel("exact-match accuracy (%)")
    ax.set_title(get_task(task).title)
    if not curves:
        ax.text(0.5, 0.5, "no runs of this task in these results", transform=ax.transAxes, ha="center")
    ax.legend(fontsize=7, loc="lower left")
    return ax


def runs_table_html(curves: Sequence[SeedCurve]) -> str:
    """An HTML table of the runs: variant, seed, model, steps, accuracy per bin."""
    if not curves:
        return "<p>No runs.</p>"
    bins = list(curves[0].bins)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["variant", "seed", "model", "steps", *bins])
    body = []
    for c in curves:
        steps = "–" if c.steps is None else f"{c.steps}{' (early stop)' if c.stopped_early else ''}"
        cells = [PE_NAMES[c.pe] + (f" [{c.source}]" if len({x.source for x in curves}) > 1 else ""), str(c.seed),
                 c.architecture, steps, *(f"{100 * c.bins[b]:.1f}%" if b in c.bins else "–" for b in bins)]
        body.append("<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in cells) + "</tr>")
    return f'<table style="font-size:12px"><tr>{head}</tr>{"".join(body)}</table>'


class ResultsView:
    """A task menu, the plot of :func:`draw_task` and the table of :func:`runs_table_html`."""

    def __init__(self, sources: Mapping[str, str | Path] | str | Path, tasks: Sequence[str],
                 initial: str | None = None) -> None:
        import ipywidgets as W

        self.sources = sources
        self.task = W.Dropdown(options=[(get_task(t).title, t) for t in tasks], value=initial or tasks[0],
                               description="task")
        self.out = W.Output()
        self.table = W.HTML()
        self.task.observe(lambda _: self.update(), names="value")
        self.view = W.VBox([self.task, self.out, self.table])
        self.update()

    def update(self) -> None:
        from IPython.display import display

        self.curves = task_curves(self.sources, self.task.value)
        with self.out:
            self.out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(7.2, 3.6))
            draw_task(self.curves, self.task.value, ax=ax)
            fig.tight_layout()
            display(fig)
            plt.close(fig)
        self.table.value = runs_table_html(self.curves)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
