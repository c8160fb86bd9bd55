"""A decoder-only, pre-LayerNorm GPT-2-style transformer with learned absolute positions (APE) or none (NoPE).

The model reads top to bottom as the architecture:
``CausalSelfAttention -> MLP -> Block -> GPT``.

Conventions
-----------
* Positions are 0-based ids ``0 .. n_positions-1``; a batch may carry its own position ids
  (random offsets during training), otherwise ``0, 1, ..., T-1`` is used.
* Activations can be read by name with :meth:`GPT.run_with_cache` (names follow TransformerLens):
  ``hook_embed``, ``hook_pos_embed``, ``blocks.{l}.hook_resid_pre``, ``blocks.{l}.attn.hook_pattern``
  (B, H, T, T; row = query i, column = key j), ``blocks.{l}.hook_resid_mid``,
  ``blocks.{l}.hook_resid_post``, ``ln_final.hook_normalized``, ``logits``.
* The fast path uses ``scaled_dot_product_attention``; the probing path computes the same
  attention explicitly so that it can return the weights.  A test checks both give equal logits.
* ``Linear`` (from :mod:`lengen.fast_linear`) is ``nn.Linear`` with a faster CPU path; read it as
  ``nn.Linear``.
* ``forward(..., rows=R)`` asks for the logits at the positions ``R`` (B, S) only, as training does
  with the supervised positions.  Everything before the last block is needed at every position,
  but the last block's attention queries, its MLP, the final LayerNorm and the output layer run
  only at those rows: the same numbers (up to float rounding) for a fraction of the work when few
  positions are supervised (2 of up to 54 for the majority tasks, about half for the copy tasks).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from typing import Callable, Iterable

import torch
import torch.nn as nn
import torch.nn.functional as F

from .fast_linear import Linear


@dataclass
class ModelConfig:
    vocab_size: int  # number of token ids (inputs and outputs share one vocabulary)
    n_positions: int = 154  # rows of the positional-embedding table (APE only)
    n_layer: int = 2
    n_head: int = 2
    d_model: int = 64
    d_mlp: int | None = None  # MLP width; None means 4 * d_model as in GPT-2
    pe: str = "ape"  # "ape" (learned absolute positions) or "nope" (no positional information)
    dropout: float = 0.0  # the paper trains with dropout 0 everywhere
    layer_norm_eps: float = 1e-5
    activation: str = "gelu"  # MLP nonlinearity: "gelu" (GPT-2's gelu_new) or "relu" (compiled models)
    layer_norm: bool = True  # False: every LayerNorm is the identity (compiled models)
    tie_embeddings: bool = True  # the output layer shares the token-embedding matrix (GPT-2)

    def __post_init__(self) -> None:
        if self.pe not in ("ape", "nope"):
            raise ValueError(f"pe must be 'ape' or 'nope', not {self.pe!r}")
        if self.activation not in ("gelu", "relu"):
            raise ValueError(f"activation must be 'gelu' or 'relu', not {self.activation!r}")
        for name, least in [("vocab_size", 1), ("n_positions", 1), ("n_layer", 0), ("n_head", 1), ("d_model", 1)]:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
        if self.d_mlp is not None and self.d_mlp < 0:
            raise ValueError(f"d_mlp must be >= 0 (or None for 4 * d_model), got {self.d_mlp!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.d_model % self.n_head != 0:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_head={self.n_head}")
        if self.d_mlp is None:
            self.d_mlp = 4 * self.d_model

    def to_dict(self) -> dict:
        return asdict(self)


# A hook receives (name, tensor) and may store it; used only by the probing path.
Hook = Callable[[str, torch.Tensor], None]


def take_rows(x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """x (B, T, d), rows (B, S) position indices -> (B, S, d): x[b, rows[b, s]]."""
    return x.gather(1, rows.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.d_head = cfg.d_model // cfg.n_head
        self.qkv = Linear(cfg.d_model, 3 * cfg.d_model)  # fused W_Q, W_K, W_V (GPT-2's c_attn)
        self.out = Linear(cfg.d_model, cfg.d_model)  # W_O (GPT-2's c_proj)
        self.dropout = cfg.dropout

    def forward(
        self,
        x: torch.Tensor,
        bias: torch.Tensor | None = None,
        hook: Hook | None = None,
        prefix: str = "",
        rows: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x: (B, T, d).  ``bias``: optional additive logits (1 or B, H, T, T), e.g. a positional term.
        ``rows``: optional (B, S) query positions; then only those queries are computed, each
        attending to the keys at and before its position, and the output is (B, S, d)."""
        B, T, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)  # each (B, T, d)
        if rows is not None:
            q = take_rows(q, rows)  # (B, S, d): only the wanted queries
        S = q.shape[1]  # number of queries: T, or the rows' S
        q = q.view(B, S, self.n_head, self.d_head).transpose(1, 2)  # (B, H, S, dh)
        k = k.view(B, T, self.n_head, self.d_head).transpose(1, 2)  # (B, H, T, dh)
        v = v.view(B, T, self.n_head, self.d_head).transpose(1, 2)  # (B, H, T, dh)
        p = self.dropout if self.training else 0.0
        if rows is None:
            causal = None  # is_causal on the fast path, a (T, T) mask on the probing path
        else:
            keys = torch.arange(T, device=x.device)
            causal = (keys <= rows.unsqueeze(-1)).unsqueeze(1)  # (B, 1, S, T): key j at or before the query
        if hook is None and bias is None:
            if causal is None:
                y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)  # (B, H, T, dh)
            else:
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=causal, dropout_p=p)  # (B, H, S, dh)
        else:
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # (B, H, S, T): query i, key j
            if bias is not None:
                if rows is not None:  # the bias rows of the wanted queries
                    bias = bias.expand(B, -1, T, T).gather(2, rows[:, None, :, None].expand(-1, bias.shape[1], -1, T))
                scores = scores + bias
            if causal is None:
                causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            scores = scores.masked_fill(~causal, float("-inf"))
            pattern = scores.softmax(dim=-1)  # (B, H, S, T)
            if hook is not None:
                hook(prefix + "hook_pattern", pattern)
            y = F.dropout(pattern, p) @ v  # (B, H, S, dh)
        y = y.transpose(1, 2).reshape(B, S, d)  # (B, S, d): heads side by side
        return self.out(y)

    def head_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """W_Q and W_K per head as (H, d_model, d_head), so that q_h = x @ W_Q[h]."""
        d = self.qkv.in_features
        w_q, w_k, _ = self.qkv.weight.split(d, dim=0)  # each (d_out=d, d_in=d)
        w_q = w_q.T.reshape(d, self.n_head, self.d_head).transpose(0, 1)  # (H, d, dh)
        w_k = w_k.T.reshape(d, self.n_head, self.d_head).transpose(0, 1)  # (H, d, dh)
        return w_q, w_k


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.fc = Linear(cfg.d_model, cfg.d_mlp)
        self.act = nn.ReLU() if cfg.activation == "relu" else nn.GELU(approximate="tanh")  # gelu: GPT-2's gelu_new
        self.proj = Linear(cfg.d_mlp, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.proj(self.act(self.fc(x))))


def _layer_norm(cfg: ModelConfig) -> nn.Module:
    """A LayerNorm over d_model, or the identity when ``cfg.layer_norm`` is False."""
    return nn.LayerNorm(cfg.d_model, eps=cfg.layer_norm_eps) if cfg.layer_norm else nn.Identity()


class Block(nn.Module):
    """Pre-LayerNorm block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.ln1 = _layer_norm(cfg)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = _layer_norm(cfg)
        self.mlp = MLP(cfg)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self,
        x: torch.Tensor,
        bias: torch.Tensor | None = None,
        hook: Hook | None = None,
        prefix: str = "",
        rows: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x: (B, T, d) -> (B, T, d), or (B, S, d) at the positions ``rows`` (B, S) only."""
        if hook is not None:
            hook(prefix + "hook_resid_pre", x)
        a = self.attn(self.ln1(x), bias, hook, prefix + "attn.", rows)  # keys and values from every position
        x = (x if rows is None else take_rows(x, rows)) + self.drop(a)
        if hook is not None:
            hook(prefix + "hook_resid_mid", x)
        x = x + self.mlp(self.ln2(x))
        if hook is not None:
            hook(prefix + "hook_resid_post", x)
        return x


class GPT(nn.Module):
    """The transformer.  ``forward(inputs, positions) -> logits`` with inputs (B, T) token ids."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.wpe = nn.Embedding(cfg.n_positions, cfg.d_model) if cfg.pe == "ape" else None
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = _layer_norm(cfg)
        self.lm_head = Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.lm_head.weight = self.wte.weight  # tied output layer
        self.apply(self._init_weights)
        # GPT-2: scale the residual projections by 1/sqrt(2 * n_layer)
        for name, p in self.named_parameters():
            if name.endswith("attn.out.weight") or name.endswith("mlp.proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    # -- positions: the two places where position enters (overridden by the Limit Transformer) --
    def positional_embedding(self, positions: torch.Tensor) -> torch.Tensor | None:
        """Vectors added to the token embeddings: (B, T, d), or None for NoPE."""
        if self.wpe is None:
            return None
        if int(positions.max()) >= self.cfg.n_positions:
            raise IndexError(
                f"position {int(positions.max())} is beyond the model's {self.cfg.n_positions} positions; "
                "evaluate shorter inputs or train with a larger n_positions"
            )
        return self.wpe(positions)

    def attention_bias(self, layer: int, positions: torch.Tensor) -> torch.Tensor | None:
        """An additive position-only term for layer ``layer``'s attention logits (None here)."""
        return None

    # -- forward ------------------------------------------------------------------------------
    def forward(
        self,
        inputs: torch.Tensor,
        positions: torch.Tensor | None = None,
        hook: Hook | None = None,
        rows: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """inputs: (B, T) token ids; positions: (B, T) position ids (default 0..T-1).  Returns (B, T, V)
        logits, or with ``rows`` (B, S) (0-based indices into the T positions) the (B, S, V) logits
        at those positions only: the last block, final LayerNorm and output layer then run only
        there (see the module docstring)."""
        B, T = inputs.shape
        if positions is None:
            positions = torch.arange(T, device=inputs.device).expand(B, T)
        x = self.wte(inputs)  # (B, T, d)
        if hook is not None:
            hook("hook_embed", x)
        pos = self.positional_embedding(positions)
        if pos is not None:
            if hook is not None:
                hook("hook_pos_embed", pos)
            x = x + pos
        x = self.drop(x)
        if rows is not None and self.cfg.n_layer == 0:
            x = take_rows(x, rows)
        last = self.cfg.n_layer - 1
        for layer, block in enumerate(self.blocks):
            x = block(x, self.attention_bias(layer, positions), hook, f"blocks.{layer}.", rows if layer == last else None)
        x = self.ln_f(x)  # (B, T, d) or (B, S, d)
        if hook is not None:
            hook("ln_final.hook_normalized", x)
        logits = self.lm_head(x)  # (B, T, V) or (B, S, V)
        if hook is not None:
            hook("logits", logits)
        return logits

    @torch.no_grad()
    def run_with_cache(
        self,
        inputs: torch.Tensor,
        positions: torch.Tensor | None = None,
        names: Iterable[str] | Callable[[str], bool] | None = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Run the probing path and return ``(logits, cache)``; ``cache`` maps activation names to
        detached tensors.  ``names`` keeps only some: a list of names or a predicate."""
        if names is None:
            keep: Callable[[str], bool] = lambda n: True  # noqa: E731
        elif callable(names):
            keep = names
        else:
            wanted = set(names)
            keep = wanted.__contains__
        cache: dict[str, torch.Tensor] = {}

        def hook(name: str, t: torch.Tensor) -> None:
            if keep(name):
                cache[name] = t.detach()

        logits = self.forward(inputs, positions, hook=hook)
        return logits, cache

    # -- bookkeeping ---------------------------------------------------------------------------
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def positional_products(self) -> torch.Tensor:
        """The pure position-position attention logits of every layer and head, read from the
        embedding table as the authors' regularizer does: M[l, h, i, j] = (p_i W_Q^h)·(p_j W_K^h).

        Returns (L, H, N, N) with N = n_positions (query i, key j); requires APE.  This is a
        proxy: it ignores LayerNorm and attention biases and uses the raw table in every layer.
        """
        if self.wpe is None:
            raise ValueError("a NoPE model has no positional embeddings")
        P = self.wpe.weight  # (N, d)
        out = []
        for block in self.blocks:
            w_q, w_k = block.attn.head_weights()  # (H, d, dh)
            out.append((P @ w_q) @ (P @ w_k).transpose(1, 2))  # (H, N, N)
        return torch.stack(out)  # (L, H, N, N)

    def positional_regularizer(self) -> torch.Tensor:
        """(1/N) Σ_{l,h} Σ_j Σ_{i>=j} M[l,h,i,j]^2: squared positional products over causal pairs,
        summed over queries and averaged over keys (as in the authors' code)."""
        M = self.positional_products()  # (L, H, N, N)
        N = M.shape[-1]
        causal = torch.ones(N, N, dtype=torch.bool, device=M.device).tril()
        return (M.pow(2) * causal).sum() / N
