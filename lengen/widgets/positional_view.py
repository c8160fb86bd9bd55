"""Pick a model and a head, see its positional-product matrix, its profile over i - j and the
spectrum of that profile, with the measures of :mod:`lengen.identify.positional`.

:func:`head_view` is the pure computation (tested); :func:`plot_head_view` draws it;
:class:`PositionalView` is the thin ipywidgets wrapper (dropdowns for the model and the head, a
slider for the locality window τ), which renders the figure into an image widget so that the
first render is already part of a static page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Mapping

import matplotlib.pyplot as plt
import numpy as np

from ..identify.positional import HeadMeasures, diagonal_profile, measure_matrix, periodicity


@dataclass
class HeadView:
    """What the viewer shows for one head: the product matrix (query i by key j, 0-based; only
    the first ``max_positions`` positions, non-causal pairs NaN), its diagonal profile g(δ) over
    every lag, the Fourier power of the centered profile, and the head's measures (computed on
    the whole matrix)."""

    matrix: np.ndarray
    profile: np.ndarray
    frequencies: np.ndarray  # cycles per lag
    power: np.ndarray
    measures: HeadMeasures
    period_scores: dict[int, float]

    def summary(self) -> str:
        """One line: the head's measures."""
        m = self.measures
        per = f"period {m.period} (strength {m.period_strength:.2f})" if m.period else "no period"
        return (f"translation invariance {m.translation_invariance:.2f}; locality (τ = {m.tau}) {m.locality:.2f}; "
                f"{per}; RMS {m.rms:.3g}")


def head_view(M: Any, tau: int = 3, max_positions: int | None = 160, layer: int = 0, head: int = 0) -> HeadView:
    """The view of one product matrix ``M`` (N, N), query i by key j."""
    M = np.asarray(M, dtype=np.float64)
    g = diagonal_profile(M)
    per = periodicity(g)
    m = measure_matrix(M, tau, layer=layer, head=head)
    n = M.shape[0] if max_positions is None else min(M.shape[0], max_positions)
    shown = M[:n, :n].copy()
    shown[np.triu_indices(n, k=1)] = np.nan
    return HeadView(shown, g, per.frequencies, per.power, m, per.scores)


def plot_head_view(view: HeadView, title: str = "", max_lag: int = 60) -> plt.Figure:
    """Three panels: the matrix (diverging colours, symmetric scale), the profile g(δ) for
    δ <= ``max_lag`` with the window δ <= τ shaded, and the power spectrum of the centered profile
    with the frequency 1/period marked."""
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(12, 3.4), gridspec_kw={"width_ratios": [1.1, 1.3, 1.3]})
    M = view.matrix
    v = float(np.nanmax(np.abs(M))) or 1.0
    im = a.imshow(M, cmap="RdBu_r", vmin=-v, vmax=v, interpolation="nearest")
    a.set_xlabel("key position j")
    a.set_ylabel("query position i")
    a.set_title(title or "positional products", fontsize=9)
    fig.colorbar(im, ax=a, fraction=0.046, pad=0.04)

    tau = view.measures.tau
    g = view.profile[: max_lag + 1]
    b.axvspan(-0.5, tau + 0.5, color="0.85", label=f"window δ ≤ {tau}")
    b.plot(np.arange(len(g)), g, "o-", color="#0072B2", ms=3, lw=1, label="g(δ)")
    b.axhline(float(view.profile.mean()), color="0.3", ls=":", lw=1, label="mean over all lags")
    b.set_xlabel("lag δ = i − j")
    b.set_ylabel("mean product")
    b.set_title("profile over the diagonals", fontsize=9)
    b.legend(fontsize=7, loc="best")

    f, p = view.frequencies[1:], view.power[1:]
    c.plot(f, p, "-", color="#D55E00", lw=1)
    if view.measures.period:
        c.axvline(1.0 / view.measures.period, color="0.3", ls="--", lw=1,
                  label=f"1 / period = 1/{view.measures.period}")
        c.legend(fontsize=7, loc="best")
    c.set_xlabel("frequency (cycles per lag)")
    c.set_ylabel("power")
    c.set_title("spectrum of the centered profile", fontsize=9)
    fig.suptitle(view.summary(), fontsize=9)
    fig.tight_layout()
    return fig


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


class PositionalView:
    """Dropdowns for a model and a head, a slider for τ; shows :func:`plot_head_view`.

    ``sources`` maps a label to products (L, H, N, N), or is a
    :class:`lengen.identify.positional_study.Study` (its runs by name)."""

    def __init__(self, sources: Mapping[str, np.ndarray] | Any, run: str | None = None, layer: int = 0,
                 head: int = 0, tau: int = 3, max_positions: int = 160) -> None:
        import ipywidgets as W

        if hasattr(sources, "products") and hasattr(sources, "names"):
            study = sources
            self._get = study.products
            names = list(study.names)
        else:
            table = {k: np.asarray(v, dtype=np.float64) for k, v in sources.items()}
            self._get = table.__getitem__
            names = list(table)
        if not names:
            raise ValueError("no products to show")
        self.max_positions = max_positions
        self.run = W.Dropdown(options=names, value=run or names[0], description="model",
                              layout=W.Layout(width="45%"))
        self.head = W.Dropdown(options=self._heads(self.run.value), description="head")
        self.tau = W.IntSlider(value=tau, min=0, max=20, description="window τ", continuous_update=False)
        self.message = W.HTML()
        self.image = W.Image(format="png")
        P0 = self._get(self.run.value)
        if layer < P0.shape[0] and head < P0.shape[1]:
            self.head.value = layer * P0.shape[1] + head
        self.view_data: HeadView | None = None
        self._quiet = False
        self.run.observe(self._on_run, names="value")
        self.head.observe(lambda _: self.update(), names="value")
        self.tau.observe(lambda _: self.update(), names="value")
        self.view = W.VBox([W.HBox([self.run, self.head, self.tau]), self.message, self.image])
        self.update()

    def _heads(self, name: str) -> list[tuple[str, int]]:
        """Dropdown options: label and flat index layer * H + head."""
        P = self._get(name)
        return [(f"layer {l}, head {h}", l * P.shape[1] + h) for l in range(P.shape[0]) for h in range(P.shape[1])]

    def selected(self) -> tuple[int, int]:
        """The (layer, head) shown."""
        H = self._get(self.run.value).shape[1]
        return divmod(int(self.head.value), H)

    def _on_run(self, _change: object = None) -> None:
        self._quiet = True  # changing the options fires the head observer; draw once, below
        try:
            self.head.options = self._heads(self.run.value)
            self.head.value = self.head.options[0][1]
        finally:
            self._quiet = False
        self.update()

    def update(self) -> None:
        if self._quiet:
            return
        l, h = self.selected()
        P = self._get(self.run.value)
        self.view_data = head_view(P[l, h], self.tau.value, self.max_positions, l, h)
        self.message.value = f"<b>{self.run.value}</b>, layer {l}, head {h}: {self.view_data.summary()}"
        self.image.value = _png(plot_head_view(self.view_data, f"{self.run.value}: layer {l}, head {h}"))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
