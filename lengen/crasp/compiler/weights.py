"""From a circuit (:mod:`.circuit`) to the parameters of a Limit Transformer or an APE GPT."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from lengen.limit import LimitTransformer, PairSignNorm
from lengen.model import GPT, ModelConfig

from .circuit import LOCAL_LOGIT, OUTPUT_LOGIT, CircuitBuilder, Head, Lin


@dataclass
class Layout:
    """Sizes of the compiled model."""

    n_layer: int
    n_head: int
    d_head: int
    d_model: int
    d_mlp: int
    width: int  # residual coordinates in use (<= d_model)
    period: int
    window: int
    head_index: dict[int, int]  # id(Head) -> index of the head in its layer


def layout(b: CircuitBuilder, extra: int = 0, min_d_head: int = 1) -> Layout:
    """Layers, heads per layer, d_head, d_model and d_mlp for a circuit (``extra`` coordinates more)."""
    n_layer = b.n_layer()
    per_block: dict[int, list[Head]] = {}
    for h in b.heads:
        per_block.setdefault(h.block, []).append(h)
    index: dict[int, int] = {}
    for hs in per_block.values():
        hs.sort(key=lambda h: (h.kind != "uniform", h.k))
        for i, h in enumerate(hs):
            index[id(h)] = i
    n_head = max((len(hs) for hs in per_block.values()), default=1)
    width = len(b.coords) + extra
    d_head = max([min_d_head, 1, math.ceil(width / n_head)] + [len(h.values) for h in b.heads])
    units: dict[int, int] = {}
    for u in b.units:
        units[u.block] = units.get(u.block, 0) + 1
    return Layout(n_layer, n_head, d_head, n_head * d_head, max(units.values(), default=1), width,
                  b.period, b.window, index)


def fill_weights(model: GPT, b: CircuitBuilder, lay: Layout, outputs: dict[str, Lin], vocab: list[str],
                 ape_len: int | None = None, circle: tuple[int, int] | None = None) -> None:
    """Write the circuit into the model's parameters.  ``ape_len`` = N for the APE export."""
    d, dh = lay.d_model, lay.d_head
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        # token embeddings: the constant 1 and the token's own coordinate
        for i, tok in enumerate(vocab):
            model.wte.weight[i, b.one] = 1.0
            if tok in b.token:
                model.wte.weight[i, b.token[tok]] = 1.0
        # positional encodings: periodic indicators (and the circle for the APE export)
        rows = lay.period if ape_len is None else ape_len
        table = torch.zeros(rows, d, dtype=torch.float64)
        for (m, r), c in b.periodic.items():
            for t in range(rows):
                table[t, c] = float((t + 1) % m == r)  # position id t is C-RASP position t + 1
        if ape_len is not None:
            assert circle is not None and model.wpe is not None
            theta = 2 * math.pi / (ape_len + lay.window + 1)
            t = torch.arange(ape_len, dtype=torch.float64)
            table[:, circle[0]] = torch.cos(theta * t)
            table[:, circle[1]] = torch.sin(theta * t)
            model.wpe.weight.copy_(table)
        elif isinstance(model, LimitTransformer) and model.pe_table is not None:
            model.pe_table.copy_(table)
        # attention heads
        for h in b.heads:
            attn = model.blocks[h.block].attn
            base = lay.head_index[id(h)] * dh
            for r, (val, writes) in enumerate(zip(h.values, h.writes)):
                for c, v in val.terms:
                    attn.qkv.weight[2 * d + base + r, c] = v
                attn.qkv.bias[2 * d + base + r] = val.const
                for c, v in writes:
                    attn.out.weight[c, base + r] += v
            if h.kind == "shift":
                if ape_len is None:
                    attn.phi[lay.head_index[id(h)], h.k] = LOCAL_LOGIT
                else:  # q_i . k_j = lam cos(theta (i - k - j)), scaled for the 1/sqrt(d_head) of attention
                    theta = 2 * math.pi / (ape_len + lay.window + 1)
                    lam = LOCAL_LOGIT / (2 * math.sin(theta / 2) ** 2) * math.sqrt(dh)
                    cb, sb = math.cos(theta * h.k), math.sin(theta * h.k)
                    cx, sx = circle  # type: ignore[misc]
                    attn.qkv.weight[base + 0, cx] = lam * cb
                    attn.qkv.weight[base + 0, sx] = lam * sb
                    attn.qkv.weight[base + 1, cx] = -lam * sb
                    attn.qkv.weight[base + 1, sx] = lam * cb
                    attn.qkv.weight[d + base + 0, cx] = 1.0
                    attn.qkv.weight[d + base + 1, sx] = 1.0
        # MLP units
        counter: dict[int, int] = {}
        for u in b.units:
            j = counter.get(u.block, 0)
            counter[u.block] = j + 1
            mlp = model.blocks[u.block].mlp
            for c, v in u.inp.terms:
                scale = 4.0 * ape_len if (ape_len is not None and c == u.slot) else 1.0
                mlp.fc.weight[j, c] = v * scale
            mlp.fc.bias[j] = u.inp.const
            for c, v in u.writes:
                mlp.proj.weight[c, j] += v
        # output logits: +L where the output literal holds, -L elsewhere
        for i, tok in enumerate(vocab):
            lit = outputs.get(tok)
            if lit is None:
                model.lm_head.weight[i, b.one] = -OUTPUT_LOGIT
                continue
            for c, v in lit.terms:
                model.lm_head.weight[i, c] += 2 * OUTPUT_LOGIT * v
            model.lm_head.weight[i, b.one] += OUTPUT_LOGIT * (2 * lit.const - 1)


def empty_model(cls: type, cfg: ModelConfig) -> Any:
    """``cls(cfg)`` in float64 without the random initialization (every weight is written by
    :func:`fill_weights`): built on the meta device, then given uninitialized memory."""
    with torch.device("meta"):
        model = cls(cfg)
    model = model.to(torch.float64).to_empty(device="cpu").eval()
    if isinstance(model, LimitTransformer):  # buffers are not parameters: rebuild the norms' masks
        for block in model.blocks:
            if isinstance(block.ln2, PairSignNorm):
                block.ln2 = PairSignNorm(cfg.d_model, cfg.sign_coords, cfg.sign_eps).to(torch.float64)
    return model
