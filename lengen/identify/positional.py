"""The regularizer's ingredients and the positional structure of a trained lengen GPT.

Huang et al.'s idealized learner minimizes a regularizer R among the transformers that fit the
data; its ingredients are the model's size (layers, heads, width), its parameter norms, and the
**positional products** p_i^T W_Q^h (W_K^h)^T p_j of every head, which lengen's model computes as
:meth:`lengen.model.GPT.positional_products` (the authors' proxy, from their released code).  Theorem 7's
conditions say what these products must look like in a model that length-generalizes: a function
of i - j alone (*translation invariance*), non-zero only within a window (*LOCAL*), and, for the
positions themselves, *PERIODIC*.  :func:`head_measures` quantifies how close each head of a trained
model comes.

Conventions
-----------
* ``M[l, h, i, j]`` is the product for query position i and key position j (0-based position
  ids, as in :meth:`~lengen.model.GPT.positional_products`); only **causal pairs** j <= i enter
  any measure.  The lag is δ = i - j >= 0.
* The **diagonal profile** g(δ) is the mean of M[i, i - δ] over the causal pairs with lag δ
  (one value per diagonal, δ = 0 .. N - 1, or up to ``max_lag``).
* **Translation invariance** = the fraction of the variance of M over the causal pairs explained
  by the diagonal profile: 1 - Σ (M[i,j] - g(i-j))² / Σ (M[i,j] - mean)², in [0, 1]; 1 for a
  Toeplitz matrix (a function of i - j alone), about 1/N... small for noise.  (1 when M is constant.)
* **Locality** at window τ = the share of the profile's energy on the lags δ <= τ:
  Σ_{δ<=τ} g̃(δ)² / Σ_δ g̃(δ)², where g̃ is g minus its mean over all lags (``center=True``, the
  default: adding the same constant to every logit of a query row does not change attention, so
  a constant profile carries no positional preference).  Each lag counts once, however many
  pairs it has.  1 for a profile that vanishes beyond τ (up to the centering), about (τ + 1)/D for
  noise over D lags.
* **Periodicity**: for each candidate period p = 2 .. ``max_period`` (default min(16, D/4)), the
  fraction of the variance of g̃ explained by its mean over the lags of each residue δ mod p,
  adjusted for the p fitted means (1 - (1 - R²)(D - 1)/(D - p), floored at 0, so that noise
  scores about 0); the dominant period
  is the smallest p whose score is at least 90% of the best (multiples of the true period explain
  it as well), its score the strength.  The Fourier spectrum of g̃ (``numpy.fft.rfft``) is returned
  too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch


# ---------------------------------------------------------------------------------------------
# The regularizer's ingredients


@dataclass
class RegularizerIngredients:
    """Size, parameter norms and the positional-product term of a model.

    ``positional_term`` is ``model.positional_regularizer()`` = (1/N) Σ_{l,h} Σ_j Σ_{i>=j}
    M[l,h,i,j]²; ``per_head[l][h]`` its terms (they sum to it).  ``qk_norms[l][h]`` is the
    Frobenius norm of W_Q^h (W_K^h)^T, the bilinear form of the head.  ``param_norms`` are L2 norms
    by group (``token_embedding``, ``positional_embedding``, ``attention``, ``mlp``,
    ``layer_norm``, ``other``); ``total_norm`` over every parameter (a tied output layer counted once)."""

    n_layer: int
    n_head: int
    d_model: int
    d_head: int
    d_mlp: int
    n_positions: int | None
    pe: str
    n_parameters: int
    param_norms: dict[str, float]
    total_norm: float
    positional_term: float | None
    per_head: list[list[float]] | None
    qk_norms: list[list[float]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _group(name: str) -> str:
    if name.startswith("wte"):
        return "token_embedding"
    if name.startswith("wpe"):
        return "positional_embedding"
    if ".attn." in name:
        return "attention"
    if ".mlp." in name:
        return "mlp"
    if "ln" in name:
        return "layer_norm"
    return "other"


@torch.no_grad()
def regularizer_ingredients(model: Any) -> RegularizerIngredients:
    """The ingredients of the regularizer for a lengen :class:`~lengen.model.GPT` (APE or NoPE;
    a NoPE model has no positional term)."""
    cfg = model.cfg
    sq: dict[str, float] = {}
    total = 0.0
    for name, p in model.named_parameters():
        v = float(p.detach().double().pow(2).sum())
        g = _group(name)
        sq[g] = sq.get(g, 0.0) + v
        total += v
    norms = {k: float(np.sqrt(v)) for k, v in sq.items()}
    term = per_head = None
    if getattr(model, "wpe", None) is not None:
        M = model.positional_products().double()  # (L, H, N, N)
        N = M.shape[-1]
        causal = torch.ones(N, N, dtype=torch.bool).tril()
        ph = (M.pow(2) * causal).sum(dim=(-1, -2)) / N  # (L, H)
        per_head = ph.tolist()
        term = float(model.positional_regularizer().double())
    qk = []
    for block in model.blocks:
        w_q, w_k = block.attn.head_weights()  # (H, d, dh)
        qk.append([float(torch.linalg.matrix_norm(w_q[h] @ w_k[h].T)) for h in range(w_q.shape[0])])
    return RegularizerIngredients(
        n_layer=cfg.n_layer, n_head=cfg.n_head, d_model=cfg.d_model, d_head=cfg.d_model // cfg.n_head,
        d_mlp=int(cfg.d_mlp), n_positions=cfg.n_positions if cfg.pe == "ape" else None, pe=cfg.pe,
        n_parameters=model.num_parameters(), param_norms=norms, total_norm=float(np.sqrt(total)),
        positional_term=term, per_head=per_head, qk_norms=qk,
    )


# ---------------------------------------------------------------------------------------------
# Measures of one product matrix


def _matrix(M: Any) -> np.ndarray:
    if isinstance(M, torch.Tensor):
        M = M.detach().cpu().double().numpy()
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"expected a square matrix (query i, key j), got shape {M.shape}")
    return M


def diagonal_profile(M: Any, max_lag: int | None = None) -> np.ndarray:
    """g(δ) = mean of M[i, i - δ] over the causal pairs with lag δ, for δ = 0 .. D - 1
    (D = N, or ``max_lag + 1``)."""
    M = _matrix(M)
    N = M.shape[0]
    D = N if max_lag is None else min(N, max_lag + 1)
    return np.array([np.diagonal(M, offset=-d).mean() for d in range(D)])


def translation_invariance(M: Any) -> float:
    """Fraction of the variance of M over the causal pairs explained by the diagonal profile."""
    M = _matrix(M)
    N = M.shape[0]
    i, j = np.tril_indices(N)
    vals = M[i, j]
    g = diagonal_profile(M)
    resid = vals - g[i - j]
    tot = float(((vals - vals.mean()) ** 2).sum())
    if tot <= 1e-12 * max(1.0, float((vals**2).sum())):
        return 1.0
    return float(max(0.0, 1.0 - (resid**2).sum() / tot))


def _profile(M_or_profile: Any, max_lag: int | None) -> np.ndarray:
    a = M_or_profile.detach().cpu().numpy() if isinstance(M_or_profile, torch.Tensor) else np.asarray(M_or_profile, dtype=np.float64)
    return a if a.ndim == 1 else diagonal_profile(a, max_lag)


def locality(M_or_profile: Any, tau: int, center: bool = True, max_lag: int | None = None) -> float:
    """Share of the (centered) diagonal profile's energy on lags δ <= ``tau``."""
    g = _profile(M_or_profile, max_lag).astype(np.float64)
    if center:
        g = g - g.mean()
    tot = float((g**2).sum())
    if tot <= 1e-24:
        return 1.0
    return float((g[: tau + 1] ** 2).sum() / tot)


@dataclass
class Periodicity:
    """The periodic structure of a diagonal profile (see the module docstring)."""

    period: int | None
    strength: float
    scores: dict[int, float]
    frequencies: np.ndarray  # cycles per lag
    power: np.ndarray
    spectral_period: float | None  # 1 / the frequency of the largest non-zero Fourier component

    def as_dict(self) -> dict:
        return {"period": self.period, "strength": self.strength, "scores": self.scores,
                "spectral_period": self.spectral_period}


def periodicity(M_or_profile: Any, max_period: int | None = None, max_lag: int | None = None) -> Periodicity:
    """Dominant period of the centered diagonal profile and the share of its variance it explains."""
    g = _profile(M_or_profile, max_lag).astype(np.float64)
    g = g - g.mean()
    D = len(g)
    tot = float((g**2).sum())
    P = max_period if max_period is not None else max(2, min(16, D // 4))
    scores: dict[int, float] = {}
    for p in range(2, min(P, D - 2) + 1):
        fold = np.zeros_like(g)
        for r in range(p):
            fold[r::p] = g[r::p].mean()
        r2 = 1.0 - float(((g - fold) ** 2).sum()) / tot if tot > 1e-24 else 0.0
        scores[p] = max(0.0, 1.0 - (1.0 - r2) * (D - 1) / (D - p))  # adjusted for the p fitted means
    period, strength = None, 0.0
    if scores:
        best = max(scores.values())
        if best > 0:
            period = min(p for p, s in scores.items() if s >= 0.9 * best)
            strength = scores[period]
    power = np.abs(np.fft.rfft(g)) ** 2
    freqs = np.fft.rfftfreq(D)
    spectral = None
    if len(power) > 1 and power[1:].max() > 0:
        k = 1 + int(np.argmax(power[1:]))
        spectral = float(1.0 / freqs[k])
    return Periodicity(period, strength, scores, freqs, power, spectral)


@dataclass
class HeadMeasures:
    """The measures of one head's product matrix (see the module docstring)."""

    layer: int
    head: int
    translation_invariance: float
    locality: float
    tau: int
    period: int | None
    period_strength: float
    spectral_period: float | None
    rms: float  # root mean square of M over the causal pairs

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _products(source: Any) -> np.ndarray:
    if hasattr(source, "positional_products"):
        with torch.no_grad():
            source = source.positional_products()
    a = source.detach().cpu().double().numpy() if isinstance(source, torch.Tensor) else np.asarray(source, dtype=np.float64)
    if a.ndim == 2:
        a = a[None, None]
    if a.ndim != 4:
        raise ValueError(f"expected products of shape (L, H, N, N), (N, N) or a model, got shape {a.shape}")
    return a


def measure_matrix(M: Any, tau: int = 3, max_lag: int | None = None, max_period: int | None = None,
                   layer: int = 0, head: int = 0) -> HeadMeasures:
    """All measures of one product matrix."""
    M = _matrix(M)
    i, j = np.tril_indices(M.shape[0])
    g = diagonal_profile(M, max_lag)
    per = periodicity(g, max_period)
    return HeadMeasures(layer, head, translation_invariance(M), locality(g, tau), tau, per.period, per.strength,
                        per.spectral_period, float(np.sqrt((M[i, j] ** 2).mean())))


def head_measures(source: Any, tau: int = 3, max_lag: int | None = None, max_period: int | None = None) -> list[HeadMeasures]:
    """The measures of every head: ``source`` is a lengen GPT with APE, or products (L, H, N, N)."""
    P = _products(source)
    out = []
    for l in range(P.shape[0]):
        for h in range(P.shape[1]):
            out.append(measure_matrix(P[l, h], tau, max_lag, max_period, l, h))
    return out


def plot_head_products(source: Any, max_positions: int | None = None, measures: bool = True, tau: int = 3,
                       cmap: str = "RdBu_r") -> Any:
    """One panel per head: the product matrix M[i, j] over causal pairs (query i down, key j
    across; non-causal pairs blank), on a symmetric color scale, titled with the head's measures.
    ``source``: a lengen GPT with APE or products (L, H, N, N).  Returns the matplotlib figure."""
    import matplotlib.pyplot as plt

    P = _products(source)
    if max_positions is not None:
        P = P[..., :max_positions, :max_positions]
    L, H, N, _ = P.shape
    fig, axes = plt.subplots(L, H, figsize=(3.2 * H, 3.0 * L), squeeze=False)
    mask = np.triu(np.ones((N, N), dtype=bool), k=1)
    for l in range(L):
        for h in range(H):
            ax = axes[l][h]
            M = np.where(mask, np.nan, P[l, h])
            v = np.nanmax(np.abs(M)) or 1.0
            im = ax.imshow(M, cmap=cmap, vmin=-v, vmax=v, interpolation="nearest")
            title = f"layer {l}, head {h}"
            if measures:
                m = measure_matrix(P[l, h], tau, layer=l, head=h)
                title += f"\nTI {m.translation_invariance:.2f}, local(τ={tau}) {m.locality:.2f}"
                if m.period is not None:
                    title += f", period {m.period} ({m.period_strength:.2f})"
            ax.set_title(title, fontsize=8)
            ax.set_xlabel("key j", fontsize=8)
            ax.set_ylabel("query i", fontsize=8)
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def synthetic_products(kind: str, N: int = 64, seed: int = 0, **kw: Any) -> np.ndarray:
    """Example matrices (query i, key j) for the measures: ``"local"`` (Toeplitz, large at lags
    ``lags``, default (1,)), ``"periodic"`` (cos(2π(i - j)/``period``), default 3), ``"noise"``
    (i.i.d. normal), ``"first"`` (large at key j = 0: not translation invariant)."""
    i, j = np.indices((N, N))
    if kind == "local":
        M = np.zeros((N, N))
        for lag in kw.get("lags", (1,)):
            M[(i - j) == lag] = kw.get("height", 5.0)
        return M
    if kind == "periodic":
        return kw.get("height", 5.0) * np.cos(2 * np.pi * (i - j) / kw.get("period", 3))
    if kind == "noise":
        return np.random.default_rng(seed).standard_normal((N, N))
    if kind == "first":
        M = np.zeros((N, N))
        M[:, 0] = kw.get("height", 5.0)
        return M
    raise ValueError(f"unknown kind {kind!r}: local, periodic, noise or first")
