"""The reproduced Figure 1: 8 algorithmic panels (2 x 4) and the 17 languages (panels 1-17).

* x: Bin 1-3 ([0,50], [51,100], [101,150]); y: exact-match accuracy in %, from -10 to 110.
* APE: solid line with ▶ markers; NoPE: dotted line with ✕ markers; APE + regularizer (if run):
  dashed line with ■ markers.  The variants are shifted by ±0.04 bins so that equal values stay
  visible.  The line is the reported mean (kept seeds); a light band spans the
  minimum and maximum over every seed tried.
* Colour: Okabe-Ito bluish green (#009E73) where lengen's C-RASP library has a program for that
  variant (C-RASP[periodic, local] for APE and Reg, C-RASP[] for NoPE), vermillion (#D55E00) where
  it has none.  The distinction is redundant: every marker is filled where a program exists and
  hollow where not, and each panel's title carries ✓/✗ per variant (A = APE, N = NoPE, R = Reg).
* Algorithmic panels that were run carry the random baseline (grey dashed, :func:`random_baseline`).

:func:`panel_grid` draws the same panels for any list of tasks (e.g. the algorithmic half only,
with APE + Reg beside APE), titled with the tasks' names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..evaluate import Bin, bin_name, test_set
from ..tasks import EOS, get_task, task_names

GREEN = "#009E73"  # Okabe-Ito bluish green: a program exists
RED = "#D55E00"  # Okabe-Ito vermillion: no program
GREY = "0.45"

STYLE = {
    "ape": {"linestyle": "-", "marker": ">", "label": "APE", "letter": "A", "dodge": -0.04},
    "nope": {"linestyle": ":", "marker": "X", "label": "NoPE", "letter": "N", "dodge": 0.04},
    "reg": {"linestyle": "--", "marker": "s", "label": "APE + Reg", "letter": "R", "dodge": 0.0},
}


def random_baseline(task_name: str, bins: Sequence[Bin], n: int = 1000, seed: int = 12345) -> list[float]:
    """Exact-match accuracy (0..1) per bin of a guesser that knows the answer's length and writes
    each answer token uniformly at random from the task's answer alphabet (then ``<eos>``).

    The answer alphabet is the set of tokens that occur as answer tokens (supervised targets other
    than ``<eos>``) in ``n`` examples per bin; for an example with m answer tokens the guess is right
    with probability |alphabet|^-m, averaged over the bin's examples.  Binary majority and parity
    (one token out of 2): 50%; majority: 1/26; interleaved majority: 1/8; copy, sort and addition:
    about 0 beyond the shortest lengths.  Languages: None (no baseline is drawn, as in the paper)."""
    task = get_task(task_name)
    if task.kind != "algorithmic":
        return []
    samples = [test_set(task, b[0], b[1], n, seed) for b in bins]
    alphabet = {t for exs in samples for e in exs for t in e.targets if t is not None and t != EOS}
    k = max(1, len(alphabet))
    out = []
    for exs in samples:
        m = np.array([sum(1 for t in e.targets if t is not None and t != EOS) for e in exs], dtype=float)
        out.append(float(np.mean(float(k) ** (-m))))
    return out


def _panel(ax, task: str, series: Mapping[str, Mapping[str, Any]], bins: Sequence[Bin], small: bool,
           title: str, baseline: Sequence[float] | None) -> None:
    x = np.arange(1, len(bins) + 1)
    ax.set_xlim(0.7, len(bins) + 0.3)
    ax.set_ylim(-10, 110)
    ax.set_xticks(x)
    ax.set_yticks([0, 50, 100])
    fs = 6 if small else 8
    ax.tick_params(labelsize=fs, length=2, pad=1)
    if small:
        ax.set_xticklabels([str(i) for i in x])
    else:
        ax.set_xticklabels([f"Bin {i}" for i in x])
    ax.grid(True, color="0.92", lw=0.5)
    ax.set_axisbelow(True)
    if baseline:
        ax.plot(x, 100 * np.asarray(baseline), linestyle="--", color=GREY, lw=1.0, zorder=1)
    marks = []
    for pe in ("ape", "nope", "reg"):
        s = series.get(pe)
        if s is None:
            continue
        st = STYLE[pe]
        color = GREEN if s["program"] else RED
        marks.append(f"{st['letter']}{'✓' if s['program'] else '✗'}")
        if s.get("mean") is None:
            continue
        mean = 100 * np.asarray(s["mean"], dtype=float)
        lo, hi = 100 * np.asarray(s["min"], dtype=float), 100 * np.asarray(s["max"], dtype=float)
        if np.any(hi - lo > 0):
            ax.fill_between(x, lo, hi, color=color, alpha=0.15, lw=0, zorder=2)
        filled = s["program"]
        ax.plot(x + st["dodge"], mean, linestyle=st["linestyle"], marker=st["marker"], color=color,
                markerfacecolor=color if filled else "white", markeredgecolor=color,
                lw=1.4 if small else 1.8, ms=4 if small else 6, mew=1.2, zorder=3, clip_on=False)
    label = f"{title}  {' '.join(marks)}" if marks else title
    ax.set_title(label, fontsize=fs + 1, pad=2)
    if not any(series.get(pe, {}).get("mean") is not None for pe in STYLE):
        ax.text(0.5, 0.78, "not run", transform=ax.transAxes, ha="center", va="center", fontsize=fs, color=GREY)


def figure1(
    rows: Mapping[tuple[str, str], Mapping[str, Any]],
    bins: Sequence[Bin],
    out_dir: str | Path,
    title: str = "",
    baselines: Mapping[str, Sequence[float]] | None = None,
) -> list[Path]:
    """Draw Figure 1 and write ``figure1.png`` and ``figure1.svg`` to ``out_dir``.

    ``rows[(task, pe)]``: ``{"mean": [per bin 0..1] | None, "min": [...], "max": [...],
    "program": bool}`` (a row whose ``mean`` is None is drawn as not run).  Every algorithmic
    task and language has a panel, whether run or not."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    algo = task_names("algorithmic")
    langs = sorted(task_names("language"), key=lambda n: get_task(n).figure_index)  # type: ignore[attr-defined]
    baselines = dict(baselines or {})

    fig = Figure(figsize=(15.5, 6.2))
    gs = fig.add_gridspec(4, 10, width_ratios=[1.55] * 4 + [0.22] + [1] * 5, hspace=0.75, wspace=0.42,
                          left=0.04, right=0.995, top=0.86, bottom=0.12)
    for i, t in enumerate(algo):
        r, c = divmod(i, 4)
        ax = fig.add_subplot(gs[2 * r : 2 * r + 2, c])
        series = {pe: rows[(t, pe)] for pe in STYLE if (t, pe) in rows}
        if t not in baselines and any(s.get("mean") is not None for s in series.values()):
            baselines[t] = random_baseline(t, bins)
        _panel(ax, t, series, bins, small=False, title=get_task(t).title, baseline=baselines.get(t))
        if c == 0:
            ax.set_ylabel("accuracy (%)", fontsize=8)
    for k, t in enumerate(langs):
        r, c = divmod(k, 5)
        ax = fig.add_subplot(gs[r, 5 + c])
        series = {pe: rows[(t, pe)] for pe in STYLE if (t, pe) in rows}
        _panel(ax, t, series, bins, small=True, title=str(get_task(t).figure_index), baseline=None)
    fig.text(0.27, 0.905, "Algorithmic tasks", ha="center", fontsize=11, weight="bold")
    fig.text(0.755, 0.905, "Formal languages (panels 1-17, numbered as in the paper)", ha="center",
             fontsize=11, weight="bold")
    if title:
        fig.suptitle(title, fontsize=10, y=0.985)
    handles = _legend_handles(("ape", "nope", "reg"), baseline=True)
    fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    bin_text = ", ".join(f"Bin {i + 1} = {bin_name(b)}" for i, b in enumerate(bins))
    fig.text(0.995, 0.045, bin_text + " (input length)", ha="right", fontsize=7, color=GREY)
    paths = [out_dir / "figure1.png", out_dir / "figure1.svg"]
    _save_atomic(fig, paths[0], dpi=150)
    _save_atomic(fig, paths[1])
    return paths


def _legend_handles(pes: Sequence[str], baseline: bool) -> list[Line2D]:
    text = {"ape": "APE (solid, ▶)", "nope": "NoPE (dotted, ✕)", "reg": "APE + Reg (dashed, ■)"}
    handles = [Line2D([], [], color="0.2", linestyle=STYLE[pe]["linestyle"], marker=STYLE[pe]["marker"],
                      label=text[pe]) for pe in pes]
    handles += [
        Line2D([], [], color=GREEN, lw=3, marker=">", markerfacecolor=GREEN,
               label="✓ C-RASP program exists (green, filled)"),
        Line2D([], [], color=RED, lw=3, marker=">", markerfacecolor="white",
               label="✗ no program (vermillion, hollow)"),
    ]
    if baseline:
        handles.append(Line2D([], [], color=GREY, linestyle="--", label="random baseline"))
    return handles


def panel_grid(
    rows: Mapping[tuple[str, str], Mapping[str, Any]],
    bins: Sequence[Bin],
    tasks: Sequence[str],
    ncols: int = 4,
    pes: Sequence[str] = ("ape", "nope", "reg"),
    titles: Mapping[str, str] | None = None,
    baselines: bool = True,
    panel_size: tuple[float, float] = (3.1, 2.3),
) -> Figure:
    """Figure 1's panels for ``tasks`` (``rows`` as in :func:`figure1`), ``ncols`` per row, titled
    with each task's title (or ``titles[task]``); only the variants in ``pes`` are drawn.  The
    random baseline is drawn on algorithmic panels when ``baselines``.  Returns the figure."""
    n = len(tasks)
    nrows = max(1, -(-n // ncols))
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.7))
    gs = fig.add_gridspec(nrows, ncols, hspace=0.55, wspace=0.3, left=0.06, right=0.99,
                          top=1 - 0.35 / (panel_size[1] * nrows + 0.7),
                          bottom=0.75 / (panel_size[1] * nrows + 0.7))
    drawn: set[str] = set()
    for k, t in enumerate(tasks):
        r, c = divmod(k, ncols)
        ax = fig.add_subplot(gs[r, c])
        series = {pe: rows[(t, pe)] for pe in pes if (t, pe) in rows}
        drawn.update(series)
        base = None
        if baselines and get_task(t).kind == "algorithmic" and any(s.get("mean") is not None for s in series.values()):
            base = random_baseline(t, bins)
        _panel(ax, t, series, bins, small=False, title=(titles or {}).get(t, get_task(t).title), baseline=base)
        if c == 0:
            ax.set_ylabel("accuracy (%)", fontsize=8)
    handles = _legend_handles([pe for pe in STYLE if pe in drawn], baseline=baselines)
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    return fig


def _save_atomic(fig: Figure, path: Path, **kw) -> None:
    import io

    from ..files import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip("."), **kw)
    atomic_write_bytes(path, buf.getvalue())
