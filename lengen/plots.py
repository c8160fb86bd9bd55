"""Figures used by the book: accuracy by length, training curves, attention patterns.

Colours come from the Okabe-Ito palette (colour-blind safe) and every series also differs by
marker or line style, so colour never carries meaning alone.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
LINESTYLES = ["-", "--", ":", "-."]


def plot_accuracy_by_length(
    curves: Mapping[str, Mapping[int, float]],
    train_max: int | None = 50,
    ax: plt.Axes | None = None,
    title: str | None = None,
) -> plt.Axes:
    """One line per labelled curve {length: accuracy in 0..1}; the training range is shaded."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.4))
    for k, (label, curve) in enumerate(curves.items()):
        xs = sorted(int(x) for x in curve)
        ys = [100 * curve[x] if x in curve else 100 * curve[str(x)] for x in xs]  # type: ignore[index]
        ax.plot(xs, ys, LINESTYLES[k % 4], marker=MARKERS[k % 8], markevery=max(1, len(xs) // 12),
                color=OKABE_ITO[k % 8], label=label, lw=1.6, ms=4)
    if train_max is not None:
        ax.axvspan(0, train_max, color="0.9", zorder=0, label="training lengths")
    ax.set_xlabel("input length (symbols)")
    ax.set_ylabel("exact-match accuracy (%)")
    ax.set_ylim(-5, 105)
    ax.legend(fontsize=8, loc="lower left")
    if title:
        ax.set_title(title)
    return ax


def plot_training(history: Sequence[tuple[int, float]], ax: plt.Axes | None = None) -> plt.Axes:
    """Training loss against step (log scale)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    if history:
        steps, losses = zip(*history)
        ax.plot(steps, losses, color=OKABE_ITO[0], lw=1)
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    return ax


def plot_attention(
    patterns: np.ndarray,
    tokens: Sequence[str],
    titles: Sequence[str] | None = None,
    max_cols: int = 4,
) -> plt.Figure:
    """Attention patterns (n, T, T) (row = query position, column = key position) as heatmaps."""
    n = len(patterns)
    cols = min(n, max_cols)
    rows = (n + cols - 1) // cols
    T = patterns.shape[-1]
    size = min(4.5, 1.2 + 0.13 * T)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.axis("off")
            continue
        ax.imshow(patterns[k], cmap="viridis", vmin=0, vmax=1)
        if T <= 40:
            ax.set_xticks(range(T), tokens, rotation=90, fontsize=7)
            ax.set_yticks(range(T), tokens, fontsize=7)
        ax.set_xlabel("key position j")
        ax.set_ylabel("query position i")
        if titles:
            ax.set_title(titles[k], fontsize=9)
    fig.tight_layout()
    return fig
