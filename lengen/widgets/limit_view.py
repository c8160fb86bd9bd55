"""Run a compiled C-RASP program at any length: agreement with the interpreter, and attention.

Pure functions (tested in ``tests/test_limit_view.py``):

* :func:`attention_rows` -- the attention weights of chosen query rows of any lengen model (a
  trained :class:`~lengen.model.GPT` or a :class:`~lengen.limit.LimitTransformer`), without
  forming the full T x T pattern, so that rows of a 10,000-token input stay cheap;
* :func:`compiled_attention` -- the same for a compiled program, one panel per attention head that
  the program uses, titled with its role (uniform head, shift-k head);
* :func:`tv_from_uniform` and :func:`relative_logits` -- how far a row of attention is from a
  counting head's uniform weights, and logits as the softmax sees them (minus the row maximum);
* :func:`plot_attention_window` -- heatmaps of such a window, optionally on a log colour scale
  (uniform attention weighs 1/i, too little to see on a linear scale at large i);
* :func:`limit_view` -- compile a library program, draw an input of a given length, check the
  compiled model against the interpreter at every position (float64 and float32), and keep the
  attention of the last query rows.

:class:`LimitView` is the thin ipywidgets wrapper: pick a program and a length, see the result.

Conventions: row and column indices are 0-based tensor indices (``<bos>`` is index 0, C-RASP
position 1); a pattern's row is a query position i, its column a key position j.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..crasp.ast import Program
from ..crasp.compiler import CompiledModel, VerifyReport, compile, random_inputs, verify
from ..model import GPT
from ..plots import OKABE_ITO

#: Lengths offered by the widget.
LENGTHS = (10, 100, 1000, 10_000)
#: Compiled models with more parameters than this are run up to length 1,000 only in the widget.
LARGE_MODEL = 1_000_000


@torch.no_grad()
def attention_rows(
    model: GPT,
    ids: torch.Tensor,
    positions: torch.Tensor | None = None,
    rows: Sequence[int] | None = None,
) -> np.ndarray:
    """Attention weights of every layer and head for the query rows ``rows`` of string 0 of ``ids``.

    ``ids``: (B, T) token ids; ``positions``: (B, T) position ids (default 0..T-1); ``rows``: 0-based
    query indices (default: all).  Returns a float64 array (L, H, len(rows), T): entry [l, h, r, j]
    is the weight that head h of layer l puts on key j at query ``rows[r]`` (0 for j > rows[r]).

    The model runs once (its fast path); the input of each attention layer is captured, and the
    scores of the requested rows are recomputed from it -- q·k / sqrt(d_head), plus φ(i - j) for a
    Limit Transformer and any ``attention_bias`` the model adds -- so memory is O(len(rows) · T)."""
    T = ids.shape[1]
    rows_t = torch.arange(T) if rows is None else torch.as_tensor(list(rows), dtype=torch.long)
    if rows_t.numel() and (int(rows_t.min()) < 0 or int(rows_t.max()) >= T):
        raise IndexError(f"query rows must lie in 0..{T - 1}")
    if positions is None:
        positions = torch.arange(T, device=ids.device).expand(ids.shape[0], T)
    captured: dict[int, torch.Tensor] = {}
    handles = [
        block.attn.register_forward_pre_hook(lambda mod, args, layer=layer: captured.__setitem__(layer, args[0][:1]))
        for layer, block in enumerate(model.blocks)
    ]
    try:
        model(ids, positions)
    finally:
        for h in handles:
            h.remove()
    dev = ids.device
    rows_d = rows_t.to(dev)
    out = []
    for layer, block in enumerate(model.blocks):
        attn = block.attn
        x = captured[layer][0]  # (T, d): what the attention layer read, string 0
        d = x.shape[-1]
        H, dh = attn.n_head, attn.d_head
        q, k, _ = attn.qkv(x).split(d, dim=-1)  # each (T, d)
        q = q.view(T, H, dh)[rows_d]  # (r, H, dh)
        k = k.view(T, H, dh)  # (T, H, dh)
        scores = torch.einsum("rhd,thd->hrt", q, k) / math.sqrt(dh)  # (H, r, T)
        dist = rows_d[:, None] - torch.arange(T, device=dev)[None, :]  # (r, T): i - j
        if hasattr(attn, "phi"):  # a Limit Transformer's φ_h(i - j), 0 beyond the window τ
            phi = torch.cat([attn.phi, attn.phi.new_zeros(H, 1)], dim=1)  # (H, τ + 2)
            scores = scores + phi[:, dist.clamp(0, attn.window + 1)].to(scores.dtype)
        bias = model.attention_bias(layer, positions)
        if bias is not None:
            scores = scores + bias[0][:, rows_d].to(scores.dtype)
        p = scores.masked_fill(dist < 0, float("-inf")).softmax(dim=-1)  # (H, r, T)
        out.append(p.double().cpu().numpy())
    return np.stack(out)


def tv_from_uniform(weights: np.ndarray) -> float:
    """Total variation distance between one query's attention weights over the keys 0..i
    (``weights``, length i + 1) and the uniform weights 1/(i + 1) of a counting head:
    half the sum of absolute differences, 0 for uniform attention, at most 1."""
    w = np.asarray(weights, dtype=np.float64)
    return float(0.5 * np.abs(w - 1.0 / len(w)).sum())


def relative_logits(logits: torch.Tensor | np.ndarray) -> np.ndarray:
    """A square matrix of attention logits (query i, key j) as the softmax sees it: each row minus
    its largest entry over the keys j <= i; NaN above the diagonal (keys a query cannot see)."""
    x = np.asarray(logits.detach().cpu().numpy() if isinstance(logits, torch.Tensor) else logits, dtype=np.float64)
    causal = np.tril(np.ones(x.shape, dtype=bool))
    masked = np.where(causal, x, -np.inf)
    return np.where(causal, masked - masked.max(axis=1, keepdims=True), np.nan)


def _heads(compiled: CompiledModel) -> list[tuple[int, int, str]]:
    """(layer, head index, title) for every attention head the compiled program uses."""
    lay, b = compiled.layout, compiled.builder
    heads = sorted(((h.block, lay.head_index[id(h)], h) for h in b.heads), key=lambda t: (t[0], t[1]))
    out = []
    for layer, index, h in heads:
        role = "uniform head" if h.kind == "uniform" else f"shift-{h.k} head (φ)"
        out.append((layer, index, f"layer {layer}, {role}"))
    return out


def compiled_attention(
    compiled: CompiledModel,
    tokens: Sequence[str],
    offset: int = 0,
    rows: Sequence[int] | None = None,
    dtype: torch.dtype = torch.float64,
) -> tuple[np.ndarray, list[str]]:
    """Attention of a compiled program's heads on one input: ``(patterns, titles)``.

    ``patterns``: (n_heads_used, len(rows), T), one panel per head of the circuit (heads that a
    layer does not use are left out); ``titles`` name each head's layer and role."""
    ids = compiled.encode([list(tokens)])
    model = compiled._model(dtype)
    positions = torch.arange(offset, offset + ids.shape[1])[None]
    p = attention_rows(model, ids, positions, rows)  # (L, H, r, T)
    heads = _heads(compiled)
    return np.stack([p[layer, index] for layer, index, _ in heads]), [t for _, _, t in heads]


def plot_attention_window(
    patterns: np.ndarray,
    titles: Sequence[str],
    rows: Sequence[int],
    cols: Sequence[int] | None = None,
    tokens: Sequence[str] | None = None,
    log: bool = False,
    max_cols: int = 4,
    panel: float = 3.2,
) -> plt.Figure:
    """Heatmaps of attention windows: ``patterns`` (n, len(rows), T), shown for the key columns
    ``cols`` (default: all).  Axis ticks are 0-based tensor indices (or ``tokens`` when the window is
    small).  ``log``: colour by log10 of the weight, from 1e-6 up to 1 (weights below are drawn
    at the bottom of the scale), so that uniform attention 1/i stays visible at long lengths."""
    from matplotlib.colors import LogNorm, Normalize

    rows = list(rows)
    cols = list(range(patterns.shape[-1])) if cols is None else list(cols)
    n = len(patterns)
    ncol = min(n, max_cols)
    nrow = (n + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(panel * ncol + 0.9, panel * nrow), squeeze=False)
    norm = LogNorm(vmin=1e-6, vmax=1.0) if log else Normalize(vmin=0.0, vmax=1.0)
    image = None
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.axis("off")
            continue
        window = patterns[k][:, cols]
        if log:
            window = np.clip(window, 1e-6, 1.0)
        image = ax.imshow(window, cmap="viridis", norm=norm, aspect="auto", interpolation="nearest")
        if tokens is not None and len(tokens) <= 40:
            ax.set_xticks(range(len(cols)), [tokens[c] for c in cols], rotation=90, fontsize=7)
            ax.set_yticks(range(len(rows)), [tokens[r] for r in rows], fontsize=7)
        else:
            step_c = max(1, len(cols) // 5)
            step_r = max(1, len(rows) // 5)
            ax.set_xticks(range(0, len(cols), step_c), [str(cols[c]) for c in range(0, len(cols), step_c)], fontsize=7)
            ax.set_yticks(range(0, len(rows), step_r), [str(rows[r]) for r in range(0, len(rows), step_r)], fontsize=7)
        ax.set_xlabel("key position j", fontsize=8)
        ax.set_ylabel("query position i", fontsize=8)
        ax.set_title(titles[k], fontsize=9)
    fig.tight_layout()
    if image is not None:
        bar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8)
        bar.set_label("attention weight" + (" (log scale)" if log else ""), fontsize=8)
    return fig


@dataclass
class LimitViewResult:
    """What :func:`limit_view` computed."""

    program: str
    summary: str
    tokens: list[str]
    offset: int
    reports: dict[str, VerifyReport]  # "float64", "float32" -> agreement with the interpreter
    rows: list[int]
    cols: list[int]
    patterns: np.ndarray  # (n_heads_used, len(rows), T)
    titles: list[str]
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """float64 agrees with the interpreter at every position."""
        return bool(self.reports["float64"].ok)

    def text(self) -> str:
        """A few lines: the model, and its agreement with the interpreter in each format."""
        lines = [self.summary.splitlines()[0], self.summary.splitlines()[1].strip()]
        for fmt, r in self.reports.items():
            if r.ok:
                lines.append(f"{fmt}: equal to the interpreter at all {r.n_positions} positions "
                             f"(largest Boolean deviation {r.bool_margin:.1e})")
            else:
                m = r.mismatch or {}
                lines.append(f"{fmt}: {r.bool_wrong} Boolean and {r.count_wrong} count values differ; first at "
                             f"position {m.get('position')} ({m.get('definition')})")
        return "\n".join(lines + self.notes)


_CACHE: dict[str, CompiledModel] = {}


def _compiled(program: str | Program) -> CompiledModel:
    if isinstance(program, Program):
        return compile(program)
    if program not in _CACHE:
        from ..crasp import library

        _CACHE[program] = compile(library.load(program))
    return _CACHE[program]


def limit_view(
    program: str | Program,
    length: int,
    seed: int = 0,
    window: int = 24,
    float32: bool = True,
) -> LimitViewResult:
    """Compile ``program`` (a library name or a parsed program), draw a random input of ``length``
    tokens (``<bos>`` first; :func:`lengen.crasp.compiler.random_inputs`), check the compiled model
    against the interpreter at every position in float64 (and float32), and compute the attention
    of the last ``window`` query rows over the last ``window`` keys (over all keys when
    ``length <= window``).  Programs with periodic predicates run at a random offset."""
    if length < 1:
        raise ValueError("length must be at least 1")
    start = time.perf_counter()
    compiled = _compiled(program)
    rng = np.random.default_rng(seed)
    tokens = random_inputs(compiled, rng, length)
    offset = int(rng.integers(0, 1000)) if compiled.layout.period > 1 else 0
    reports = {"float64": verify(compiled, inputs=[tokens], offsets=[offset])}
    if float32:
        reports["float32"] = verify(compiled, inputs=[tokens], offsets=[offset], dtype=torch.float32)
    first = max(0, length - window)
    rows = list(range(first, length))
    cols = list(range(max(0, first - compiled.layout.window), length))  # the shift heads' targets too
    patterns, titles = compiled_attention(compiled, tokens, offset, rows)
    notes = [f"offset {offset} (the program uses periodic predicates)"] if offset else []
    return LimitViewResult(
        program=compiled.program.name or "program", summary=compiled.summary(), tokens=tokens, offset=offset,
        reports=reports, rows=rows, cols=cols, patterns=patterns, titles=titles,
        seconds=time.perf_counter() - start, notes=notes,
    )


def plot_limit_view(result: LimitViewResult) -> plt.Figure:
    """The attention window of a :func:`limit_view` result (log colour scale for long inputs)."""
    long = len(result.tokens) > 40
    fig = plot_attention_window(result.patterns, result.titles, result.rows, result.cols,
                                tokens=result.tokens, log=long)
    what = f"last {len(result.rows)} positions of" if long else "all positions of"
    fig.suptitle(f"{result.program}: attention, {what} an input of length {len(result.tokens)}", fontsize=10, y=1.02)
    return fig


class LimitView:
    """Pick a program of the library and a length: the compiled model's size, its agreement with
    the interpreter at every position, and where its heads attend near the end of the input."""

    def __init__(self, program: str = "tomita4", length: int = 1000, seed: int = 0) -> None:
        import ipywidgets as W

        from ..crasp import library

        self.program = W.Dropdown(options=library.names(), value=program, description="program")
        self.length = W.Dropdown(options=list(LENGTHS), value=length, description="length")
        self.seed = W.BoundedIntText(value=seed, min=0, max=10_000, description="input seed",
                                     layout=W.Layout(width="180px"))
        self.button = W.Button(description="run")
        self.message = W.HTML()
        self.out = W.Output()
        self.button.on_click(lambda _: self.update())
        self.program.observe(lambda _: self.update(), names="value")
        self.length.observe(lambda _: self.update(), names="value")
        self.view = W.VBox([W.HBox([self.program, self.length, self.seed, self.button]), self.message, self.out])
        self.result: LimitViewResult | None = None
        self.update()

    def update(self) -> None:
        import html

        from IPython.display import display

        compiled = _compiled(self.program.value)
        n = self.length.value
        if compiled.model.num_parameters() > LARGE_MODEL and n > 1000:
            self.message.value = (f"<span style='color:{OKABE_ITO[1]}'>{self.program.value} compiles to "
                                  f"{compiled.model.num_parameters():,} parameters: pick a length up to 1,000 here, "
                                  f"or run <code>lengen crasp compile {self.program.value} --check --max-len {n}"
                                  "</code> in a terminal</span>")
            return
        self.message.value = "<i>running ...</i>"
        self.result = limit_view(self.program.value, n, seed=self.seed.value)
        self.message.value = (f"<pre style='margin:0.3em 0;font-size:12px'>{html.escape(self.result.text())}\n"
                              f"({self.result.seconds:.1f} s)</pre>")
        with self.out:
            self.out.clear_output(wait=True)
            fig = plot_limit_view(self.result)
            display(fig)
            plt.close(fig)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)


__all__ = [
    "LENGTHS", "LimitView", "LimitViewResult", "attention_rows", "compiled_attention", "limit_view",
    "plot_attention_window", "plot_limit_view", "relative_logits", "tv_from_uniform",
]
