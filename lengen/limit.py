"""The Limit Transformer: lengen's GPT with periodic positions and local positional attention terms.

Huang et al. (ICLR 2025) state their main theorem for *Limit Transformers*: transformers that are
defined on inputs of every length, whose positional information is restricted in two ways.

* **PERIODIC** -- the positional encodings repeat with a period Δ: p_i = p_{i mod Δ}.  The model
  keeps a table of Δ vectors instead of one row per position, so it has no context limit.
* **LOCAL** -- each attention head (layer l, head h) adds a position-only term φ_{l,h}(i − j) to
  its logits, and φ_{l,h}(d) = 0 for every distance d > τ (the window).  Attention can single out
  the key k positions back (φ(k) large), but only for k ≤ τ.

:class:`LimitTransformer` is a subclass of :class:`lengen.model.GPT`: the same embeddings, the
same :class:`~lengen.model.Block` (attention, MLP, residual stream), the same ``forward`` and
``run_with_cache``.  What changes:

* ``positional_embedding`` (the seam GPT offers for this) returns ``pe_table[position mod Δ]``
  (a learnable ``(Δ, d_model)`` table) instead of rows of a ``(n_positions, d_model)`` table;
* each block's attention is a :class:`LimitAttention` (a :class:`~lengen.model.CausalSelfAttention`
  with the same ``qkv``/``out`` weights) holding a ``phi`` parameter of shape ``(n_head, τ + 1)``:
  ``phi[h, d]`` = φ_h(d) for d = 0..τ, and φ_h(d) = 0 for d > τ by construction.  It computes
  attention a block of query rows at a time, so inputs of length 10,000 and more fit in memory;
  the dense term is available as :meth:`LimitTransformer.phi_bias` (what GPT's other seam,
  ``attention_bias``, would return; the forward pass adds φ inside the attention instead);
* optionally (``sign_coords``, used by the C-RASP compiler) the LayerNorm in front of each MLP is a
  :class:`PairSignNorm`: LayerNorm applied to the pair (x_c, −x_c) for a few designated residual
  coordinates c and the identity elsewhere.  See :mod:`lengen.crasp.compiler` for why.

Conventions
-----------
* Tensor positions are **0-based**: the token at tensor index t has position id ``t`` (plus an
  offset o when the caller passes ``positions = o + t``, as training with random offsets does).
  C-RASP positions are **1-based**: tensor index t is C-RASP position t + 1, and with an offset o
  the *absolute* C-RASP position of tensor index t is ``o + t + 1`` (the interpreter's
  ``offset`` is the same o).  So a periodic predicate ``i % m == r`` holds at position id
  ``pid`` iff ``(pid + 1) % m == r``.
* ``<bos>`` sits at tensor index 0 (C-RASP position 1); it is part of the string.
* φ depends on tensor indices (i − j, query i, key j), never on position ids: it is
  translation invariant, so offsets do not change it.
* There is no ``n_positions`` limit: ``cfg.n_positions`` is ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .model import GPT, CausalSelfAttention, Hook, ModelConfig, take_rows


@dataclass
class LimitConfig(ModelConfig):
    """A :class:`~lengen.model.ModelConfig` plus the Limit Transformer's positional parts.

    ``pe``: ``"periodic"`` (a table of ``period`` positional vectors) or ``"nope"``.
    ``period``: Δ, the period of the positional encodings (1 = the same vector everywhere).
    ``window``: τ, the largest distance at which φ may be non-zero (φ has τ + 1 entries per head).
    ``sign_coords``: residual coordinates normalized by :class:`PairSignNorm` before each MLP
    (requires ``layer_norm=False``); ``sign_eps`` is that normalization's ε.
    ``chunk_elements``: attention is computed for as many query rows at a time as keep the score
    block of one head below this many numbers.
    ``skip_zeros``: skip attention work that is exactly zero (see :meth:`LimitAttention._plan`).
    """

    pe: str = "periodic"
    period: int = 1
    window: int = 0
    sign_coords: tuple[int, ...] = ()
    sign_eps: float = 1e-24
    chunk_elements: int = 1 << 22
    skip_zeros: bool = True

    def __post_init__(self) -> None:
        if self.pe not in ("periodic", "nope"):
            raise ValueError(f"a Limit Transformer's pe must be 'periodic' or 'nope', not {self.pe!r}")
        if self.period < 1:
            raise ValueError(f"period must be >= 1, got {self.period}")
        if self.window < 0:
            raise ValueError(f"window must be >= 0, got {self.window}")
        if self.sign_coords and self.layer_norm:
            raise ValueError("sign_coords replace the LayerNorm in front of the MLP: set layer_norm=False")
        if self.activation not in ("gelu", "relu"):
            raise ValueError(f"activation must be 'gelu' or 'relu', not {self.activation!r}")
        if self.d_model % self.n_head != 0:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_head={self.n_head}")
        if any(not 0 <= c < self.d_model for c in self.sign_coords):
            raise ValueError("sign_coords must be coordinates of the residual stream")
        self.sign_coords = tuple(self.sign_coords)
        if self.d_mlp is None:
            self.d_mlp = 4 * self.d_model


class PairSignNorm(nn.Module):
    """LayerNorm (no affine part) of the pair (x_c, −x_c) for each coordinate c in ``coords``;
    every other coordinate passes unchanged.

    The pair has mean 0 and variance x_c², so LayerNorm maps x_c to x_c / sqrt(x_c² + ε): the
    sign of x_c (±1) whatever its scale, as long as x_c² ≫ ε.  Yang & Chiang (2024) use this to
    compare counts that are only available as fractions C / i.
    """

    def __init__(self, d_model: int, coords: tuple[int, ...], eps: float = 1e-24) -> None:
        super().__init__()
        self.eps = eps
        mask = torch.zeros(d_model, dtype=torch.bool)
        mask[list(coords)] = True
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, d) -> (B, T, d)."""
        normed = x * torch.rsqrt(x * x + self.eps)
        return torch.where(self.mask, normed, x)

    def extra_repr(self) -> str:
        return f"coords={int(self.mask.sum())}, eps={self.eps:g}"


class LimitAttention(CausalSelfAttention):
    """Causal self-attention with an extra position-only logit φ_h(i − j) per head.

    logits[b, h, i, j] = q_i · k_j / sqrt(d_head) + φ_h(i − j)   for j <= i,   −inf for j > i,
    with φ_h(d) = ``phi[h, d]`` for d <= τ and 0 for d > τ (LOCAL).  Same ``qkv``/``out`` layers
    as :class:`~lengen.model.CausalSelfAttention`; the scores are computed for a block of query rows
    at a time (``chunk_elements`` numbers), so memory stays O(T) per row block instead of O(T²).
    """

    def __init__(self, cfg: LimitConfig) -> None:
        super().__init__(cfg)
        self.window = cfg.window
        self.chunk_elements = cfg.chunk_elements
        self.skip_zeros = cfg.skip_zeros
        self.phi = nn.Parameter(torch.zeros(cfg.n_head, cfg.window + 1))  # (H, τ + 1)

    def phi_rows(self, start: int, stop: int, n_keys: int) -> tuple[torch.Tensor, torch.Tensor]:
        """φ for query rows start..stop-1 and keys 0..n_keys-1: ``(H, rows, n_keys)``, and the
        boolean mask of future keys ``(rows, n_keys)`` (j > i)."""
        dev = self.phi.device
        dist = torch.arange(start, stop, device=dev)[:, None] - torch.arange(n_keys, device=dev)[None, :]  # (r, n): i - j
        phi_ext = torch.cat([self.phi, self.phi.new_zeros(self.n_head, 1)], dim=1)  # (H, τ + 2); last = beyond τ
        return phi_ext[:, dist.clamp(0, self.window + 1)], dist < 0

    def _plan(self, skip_zeros: bool) -> list[tuple[int, torch.Tensor | None, bool]]:
        """Which heads to compute: [(head, value dims or None for all, has content logits)].

        With ``skip_zeros``, work that is exactly zero is skipped: a head whose value weights and
        biases are all zero outputs exactly 0, value dimensions with zero weights output exactly 0,
        and a head whose query (or key) weights and biases are all zero has logits φ only.  Trained
        models never have such exact zeros; compiled ones are full of them."""
        H, dh, d = self.n_head, self.d_head, self.n_head * self.d_head
        if not skip_zeros:
            return [(h, None, True) for h in range(H)]
        w, b = self.qkv.weight, self.qkv.bias
        key = (w.data_ptr(), w._version, b.data_ptr(), b._version, w.dtype)  # recompute after any change
        if getattr(self, "_plan_cache", (None,))[0] == key:
            return self._plan_cache[1]
        with torch.no_grad():
            w, b = self.qkv.weight, self.qkv.bias  # (3d, d), (3d,)
            used = (w.abs().sum(dim=1) + b.abs()) != 0  # (3d,): output coordinates of qkv in use
            q_used, k_used, v_used = used[:d].view(H, dh), used[d:2 * d].view(H, dh), used[2 * d:].view(H, dh)
        plan = []
        for h in range(H):
            if not bool(v_used[h].any()):
                continue
            dims = None if bool(v_used[h].all()) else torch.nonzero(v_used[h]).flatten()
            plan.append((h, dims, bool(q_used[h].any()) and bool(k_used[h].any())))
        self._plan_cache = (key, plan)
        return plan

    def forward(
        self,
        x: torch.Tensor,
        bias: torch.Tensor | None = None,
        hook: Hook | None = None,
        prefix: str = "",
        rows: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x: (B, T, d).  ``bias``: an optional further additive term (1 or B, H, T, T).  ``rows``:
        optional (B, S) query positions; the output is then (B, S, d) (computed at every position
        and then taken at the rows: this attention is for inspection, not for speed)."""
        B, T, d = x.shape
        H, dh = self.n_head, self.d_head
        q, k, v = self.qkv(x).split(d, dim=2)  # each (B, T, d)
        q = q.view(B, T, H, dh).transpose(1, 2)  # (B, H, T, dh)
        k = k.view(B, T, H, dh).transpose(1, 2)  # (B, H, T, dh)
        v = v.view(B, T, H, dh).transpose(1, 2)  # (B, H, T, dh)
        p_drop = self.dropout if self.training else 0.0
        plan = self._plan(skip_zeros=self.skip_zeros and hook is None and bias is None)
        y = q.new_zeros(B, H, T, dh)  # heads left out of the plan output exactly 0
        pattern = x.new_zeros(B, H, T, T) if hook is not None else None
        chunk = max(1, self.chunk_elements // max(1, B * T))  # query rows per block
        for a in range(0, T, chunk):
            b = min(T, a + chunk)
            phi, future = self.phi_rows(a, b, b)  # (H, r, b), (r, b)
            phi = phi.to(q.dtype)
            for h, dims, content in plan:
                scores = phi[h].expand(B, b - a, b)  # (B, r, b): φ_h(i - j)
                if content:
                    scores = scores + q[:, h, a:b] @ k[:, h, :b].transpose(-2, -1) / math.sqrt(dh)
                if bias is not None:
                    scores = scores + bias[:, h, a:b, :b]
                p = scores.masked_fill(future, float("-inf")).softmax(dim=-1)  # (B, r, b)
                if pattern is not None:
                    pattern[:, h, a:b, :b] = p
                p = F.dropout(p, p_drop)
                if dims is None:
                    y[:, h, a:b] = p @ v[:, h, :b]  # (B, r, dh)
                else:
                    y[:, h, a:b, dims] = p @ v[:, h, :b][..., dims]  # only the value dims in use
        if hook is not None:
            hook(prefix + "hook_pattern", pattern)
        y = y.transpose(1, 2).reshape(B, T, d)  # (B, T, d): heads side by side
        if rows is not None:
            y = take_rows(y, rows)  # (B, S, d)
        return self.out(y)


class LimitTransformer(GPT):
    """A GPT with PERIODIC positional encodings and LOCAL positional attention terms φ.

    >>> model = LimitTransformer(LimitConfig(vocab_size=5, n_layer=1, n_head=1, d_model=8, period=3, window=2))
    >>> model(torch.zeros(1, 1000, dtype=torch.long)).shape   # any length: no n_positions limit
    torch.Size([1, 1000, 5])
    """

    cfg: LimitConfig

    def __init__(self, cfg: LimitConfig) -> None:
        super().__init__(cfg)  # embeddings, blocks, output layer as in GPT (wpe is None: pe != "ape")
        for block in self.blocks:  # the same blocks, with φ added to their attention
            old = block.attn
            block.attn = LimitAttention(cfg)
            block.attn.load_state_dict(old.state_dict(), strict=False)  # keep GPT's initialization
            if cfg.sign_coords:
                block.ln2 = PairSignNorm(cfg.d_model, cfg.sign_coords, cfg.sign_eps)
        # PERIODIC: p_i = pe_table[i mod Δ]
        self.pe_table = nn.Parameter(torch.randn(cfg.period, cfg.d_model) * 0.02) if cfg.pe == "periodic" else None

    # -- the two positional seams of GPT --------------------------------------------------------
    def positional_embedding(self, positions: torch.Tensor) -> torch.Tensor | None:
        """p_{position mod Δ}: (B, T, d), or None for ``pe="nope"``.  Any position id >= 0 works."""
        if self.pe_table is None:
            return None
        return self.pe_table[positions % self.cfg.period]

    def attention_bias(self, layer: int, positions: torch.Tensor) -> torch.Tensor | None:
        """None: each :class:`LimitAttention` adds its φ itself, a block of rows at a time (the
        dense term, for inspection, is :meth:`phi_bias`)."""
        return None

    def phi_bias(self, layer: int, T: int) -> torch.Tensor:
        """The dense positional term of layer ``layer``: (1, H, T, T) with [0, h, i, j] = φ_h(i − j)
        for j <= i and 0 above the diagonal (the causal mask is applied separately)."""
        attn = self.blocks[layer].attn
        phi, future = attn.phi_rows(0, T, T)  # (H, T, T)
        return phi.masked_fill(future, 0.0)[None]

    # -- bookkeeping ----------------------------------------------------------------------------
    def positional_products(self) -> torch.Tensor:
        """Not defined here (GPT's version reads ``wpe``): raises ValueError saying where the
        Limit Transformer's positional logits are instead."""
        raise ValueError(
            "a Limit Transformer has no position table to form products from: its position-position "
            "logits are the φ terms (see phi_bias) and its encodings repeat with period Δ (pe_table)"
        )
