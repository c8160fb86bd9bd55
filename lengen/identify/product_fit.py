"""Can positional products represent a function φ(i, j) and length-generalize?  (The authors'
appendix G.2 experiment, at CPU size.)

Setup (as in the authors' ``appendix-G2/test_multi_func_L2.py``)
-----------------------------------------------------------------
* Parameters: a position table P ∈ R^{N×d} and W_Q, W_K ∈ R^{d×r} (r = d unless ``rank``), all
  initialized uniform(-1, 1), W_Q and W_K scaled by 1/√r.  The logit of query position a + i and
  key position a + j is (P_{a+i} W_Q)·(P_{a+j} W_K).
* Target, over the causal pairs j <= i of a **window** of consecutive positions a, a+1, ...: 2 ln 50
  where φ(i, j) holds and 0 elsewhere, with i, j counted **from the start of the window**
  (0-based; what a string starting at position a would need).  A φ that depends on i - j alone
  asks for the same logit at every offset; any other φ asks for different logits for the same pair
  of absolute positions at different offsets.
* Loss: the mean squared error over the causal pairs of a batch of windows, plus
  0.01 · (mean P² + mean W_Q² + mean W_K²).  Adam, learning rate 1e-3; every step a batch of
  windows of ``train_len`` = 50 consecutive positions at offsets drawn uniformly from
  [0, N - 50].
* Test: the MSE over the causal pairs of windows of length 50, 100 and 150 at **every** offset
  (0 .. N - L).  Pairs farther apart than 49 never occur in training, so lengths 100 and 150 test
  generalization to longer inputs.  ``zero_mse`` is the MSE of predicting 0 everywhere, for scale.

The authors used N = 200, d = 32 (and 256), 15,000 steps of batch 64.  The defaults here are
CPU-sized (d = 32, 1,500 steps: about 5 s per φ on one core); :data:`FULL` holds the authors' settings
(``fit_products(phi, **FULL)`` or ``compare_products(full=True)``).

φ's (``PHIS``): ``"prev"`` j = i - 1 (local, translation invariant), ``"mod3"`` i ≡ j (mod 3)
(periodic, translation invariant), ``"half"`` j = ⌊i/2⌋ and ``"first"`` j = 0 (neither local nor
translation invariant), ``"window5"`` i - j < 5, or any callable φ(i, j) on integer arrays.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

PhiFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

PHIS: dict[str, PhiFn] = {
    "prev": lambda i, j: j == i - 1,
    "mod3": lambda i, j: (i - j) % 3 == 0,
    "half": lambda i, j: j == i // 2,
    "first": lambda i, j: j == 0,
    "window5": lambda i, j: (i - j) < 5,
}

PHI_DESCRIPTIONS = {
    "prev": "j = i - 1 (local, translation invariant)",
    "mod3": "i ≡ j mod 3 (periodic, translation invariant)",
    "half": "j = floor(i/2) (not translation invariant, not local)",
    "first": "j = 0, the window's first position (not translation invariant)",
    "window5": "i - j < 5 (local window, translation invariant)",
}

#: The authors' settings (their appendix-G2 code).
FULL: dict[str, Any] = {"n_positions": 200, "d": 32, "steps": 15_000, "batch_size": 64}
#: CPU-sized defaults (about 20 s for the three φ's of :func:`compare_products` on one core).
QUICK: dict[str, Any] = {"n_positions": 200, "d": 32, "steps": 1_500, "batch_size": 64}

TARGET_VALUE = 2 * math.log(50)


def target_matrix(phi: str | PhiFn, length: int, value: float = TARGET_VALUE) -> np.ndarray:
    """The target logits of one window (window-relative query i, key j): ``value`` where φ holds
    on a causal pair, 0 elsewhere (non-causal entries are 0 and ignored by the loss)."""
    fn = PHIS[phi] if isinstance(phi, str) else phi
    i, j = np.indices((length, length))
    return np.where((j <= i) & np.asarray(fn(i, j), dtype=bool), value, 0.0)


class PositionProduct(torch.nn.Module):
    """P ∈ R^{N×d}, W_Q, W_K ∈ R^{d×r}; ``forward(idx)`` gives the logits of windows ``idx`` (B, T)."""

    def __init__(self, n_positions: int, d: int, rank: int | None = None) -> None:
        super().__init__()
        r = rank or d
        self.embedding = torch.nn.Parameter(torch.rand(n_positions, d) * 2 - 1)
        self.W_Q = torch.nn.Parameter((torch.rand(d, r) * 2 - 1) / math.sqrt(r))
        self.W_K = torch.nn.Parameter((torch.rand(d, r) * 2 - 1) / math.sqrt(r))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        p = self.embedding[idx]  # (B, T, d)
        return (p @ self.W_Q) @ (p @ self.W_K).transpose(1, 2)  # (B, T, T): query, key

    def full(self) -> torch.Tensor:
        """The (N, N) matrix of products for all absolute positions."""
        return (self.embedding @ self.W_Q) @ (self.embedding @ self.W_K).T


@dataclass
class FitResult:
    """The outcome of :func:`fit_products` for one φ."""

    phi: str
    settings: dict
    train_mse: float  # final training MSE (without the penalty), over a fresh batch
    test_mse: dict[int, float]  # window length -> MSE over every offset
    zero_mse: dict[int, float]  # the MSE of predicting 0 everywhere
    history: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0
    products: np.ndarray | None = None  # the learned (N, N) matrix

    def relative(self, length: int) -> float:
        """Test MSE divided by the MSE of predicting 0 (1 = no better than zero)."""
        z = self.zero_mse[length]
        return self.test_mse[length] / z if z > 0 else float("nan")

    def as_dict(self) -> dict:
        return {"phi": self.phi, "settings": self.settings, "train_mse": self.train_mse,
                "test_mse": {str(k): v for k, v in self.test_mse.items()},
                "zero_mse": {str(k): v for k, v in self.zero_mse.items()}, "seconds": round(self.seconds, 2)}


def product_term(M: torch.Tensor) -> torch.Tensor:
    """(1/N) Σ_j Σ_{i>=j} M[i, j]²: the regularizer's positional term for one (N, N) product
    matrix (query i, key j), as in :meth:`lengen.model.GPT.positional_regularizer`."""
    N = M.shape[-1]
    causal = torch.ones(N, N, dtype=torch.bool, device=M.device).tril()
    return (M.pow(2) * causal).sum() / N


def _phi_name(phi: str | PhiFn) -> str:
    return phi if isinstance(phi, str) else getattr(phi, "__name__", "phi")


@torch.no_grad()
def test_errors(model: PositionProduct, phi: str | PhiFn, lengths: Sequence[int]) -> tuple[dict[int, float], dict[int, float]]:
    """(MSE, MSE of predicting 0) over the causal pairs of windows of each length at every offset."""
    M = model.full().double().numpy()
    N = M.shape[0]
    mse, zero = {}, {}
    for L in lengths:
        if L > N:
            raise ValueError(f"test windows of length {L} do not fit in {N} positions")
        T = target_matrix(phi, L)
        mask = np.tril(np.ones((L, L), dtype=bool))
        errs = [float(((M[a:a + L, a:a + L] - T)[mask] ** 2).mean()) for a in range(N - L + 1)]
        mse[L] = float(np.mean(errs))
        zero[L] = float((T[mask] ** 2).mean())
    return mse, zero


test_errors.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def fit_products(
    phi: str | PhiFn = "prev",
    n_positions: int = 200,
    train_len: int = 50,
    d: int = 32,
    rank: int | None = None,
    steps: int = 1_500,
    batch_size: int = 64,
    lr: float = 1e-3,
    penalty: float = 0.01,
    product_penalty: float = 0.0,
    test_lengths: Sequence[int] = (50, 100, 150),
    seed: int = 0,
    threads: int | None = 1,
    log_every: int = 0,
    keep_products: bool = False,
) -> FitResult:
    """Fit positional products to φ on windows of ``train_len`` at random offsets and test them
    on longer windows at every offset (module docstring).  ``threads``: torch CPU threads during
    the fit (restored afterwards); ``log_every``: record the training MSE every that many steps.
    ``product_penalty`` > 0 adds that multiple of :func:`product_term` of the full (N, N) matrix,
    the positional term of the regularizer (not in the authors' G.2 experiment)."""
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        t0 = time.perf_counter()
        g = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        model = PositionProduct(n_positions, d, rank)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        target = torch.tensor(target_matrix(phi, train_len), dtype=torch.float32)
        mask = torch.ones(train_len, train_len, dtype=torch.bool).tril()
        tvals = target[mask]
        ar = torch.arange(train_len)
        history: list[tuple[int, float]] = []

        def batch_mse() -> torch.Tensor:
            offs = torch.randint(0, n_positions - train_len + 1, (batch_size, 1), generator=g)
            logits = model(offs + ar)  # (B, T, T)
            return ((logits[:, mask] - tvals) ** 2).mean()

        for step in range(steps):
            mse = batch_mse()
            loss = mse + penalty * (model.embedding.pow(2).mean() + model.W_Q.pow(2).mean() + model.W_K.pow(2).mean())
            if product_penalty > 0:
                loss = loss + product_penalty * product_term(model.full())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if log_every and (step + 1) % log_every == 0:
                history.append((step + 1, float(mse)))
        with torch.no_grad():
            train = float(batch_mse())
        test, zero = test_errors(model, phi, test_lengths)
        settings = dict(n_positions=n_positions, train_len=train_len, d=d, rank=rank or d, steps=steps,
                        batch_size=batch_size, lr=lr, penalty=penalty, product_penalty=product_penalty, seed=seed)
        products = model.full().detach().numpy() if keep_products else None
        return FitResult(_phi_name(phi), settings, train, test, zero, history, time.perf_counter() - t0, products)
    finally:
        torch.set_num_threads(old_threads)


def compare_products(phis: Sequence[str | PhiFn] = ("prev", "mod3", "half"), full: bool = False, **kw: Any) -> dict[str, FitResult]:
    """:func:`fit_products` for several φ's with the same settings (``full=True``: the authors'
    settings, :data:`FULL`).  Returns name -> result."""
    settings = dict(FULL if full else QUICK)
    settings.update(kw)
    return {_phi_name(p): fit_products(p, **settings) for p in phis}


def results_markdown(results: dict[str, FitResult]) -> str:
    """A Markdown table: φ, training MSE, and test MSE (relative to predicting 0) per window length."""
    lengths = sorted({L for r in results.values() for L in r.test_mse})
    head = "| φ | train MSE | " + " | ".join(f"test MSE, length {L} (÷ zero)" for L in lengths) + " |"
    lines = [head, "|---" * (len(lengths) + 2) + "|"]
    for name, r in results.items():
        cells = [f"{r.test_mse[L]:.4g} ({r.relative(L):.2g})" for L in lengths]
        desc = PHI_DESCRIPTIONS.get(name, name)
        lines.append(f"| {desc} | {r.train_mse:.4g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_fit(result: FitResult, length: int = 150, offset: int = 0, ax: Any = None) -> Any:
    """The learned products of one window next to its target (requires ``keep_products=True``)."""
    import matplotlib.pyplot as plt

    if result.products is None:
        raise ValueError("run fit_products(..., keep_products=True) to plot the learned products")
    M = result.products[offset:offset + length, offset:offset + length]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6)) if ax is None else (ax[0].figure, ax)
    mask = np.triu(np.ones_like(M, dtype=bool), k=1)
    phi = PHIS.get(result.phi, None)
    T = target_matrix(phi, length) if phi is not None else np.zeros_like(M)
    for a, X, title in ((axes[0], T, "target"), (axes[1], M, f"learned (offset {offset})")):
        im = a.imshow(np.where(mask, np.nan, X), cmap="viridis", interpolation="nearest")
        a.set_title(f"{result.phi}: {title}", fontsize=9)
        a.axvline(49.5, color="w", lw=0.5)
        fig.colorbar(im, ax=a, fraction=0.046)
    fig.tight_layout()
    return fig
