"""The compiled model: :func:`compile`, and :class:`CompiledModel` (run, read out, summarize, export)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Sequence, Union

import numpy as np
import torch

from lengen.limit import LimitConfig, LimitTransformer
from lengen.model import GPT, ModelConfig

from ..ast import Program
from ..interpreter import as_tokens
from .circuit import (
    BOS,
    SIGN_EPS,
    CircuitBuilder,
    CompileError,
    Coord,
    Lin,
    as_vocab,
    default_vocab,
    output_literals,
    validate,
)
from .weights import Layout, empty_model, fill_weights, layout

Strings = Sequence[Union[str, Sequence[str]]]


@dataclass
class CompiledModel:
    """A transformer computing a C-RASP program, with the map from its residual stream back to
    the program's definitions.

    ``model``: a :class:`~lengen.limit.LimitTransformer` (from :func:`compile`) or an APE
    :class:`~lengen.model.GPT` (from :meth:`to_ape`); its token ids are indices into ``vocab``.
    ``readouts``: definition name -> ("bool", Lin) or ("count", coordinate of C / i).
    ``max_len``: None for the Limit Transformer (any length), N for an APE export.
    """

    program: Program
    vocab: list[str]
    model: GPT
    readouts: dict[str, tuple[str, Any]]
    layout: Layout
    coords: list[Coord]
    u_coord: int | None
    outputs: dict[str, Lin]
    max_len: int | None = None
    builder: Any = field(default=None, repr=False)
    task: Any = field(default=None, repr=False)
    _cast: dict[torch.dtype, GPT] = field(default_factory=dict, repr=False)

    # -- running -----------------------------------------------------------------------------
    def encode(self, batch: Strings) -> torch.Tensor:
        """Token strings (all of one length, each starting with ``<bos>``) -> ids (B, T)."""
        rows = [as_tokens(s) for s in batch]
        index = {t: k for k, t in enumerate(self.vocab)}
        n = len(rows[0]) if rows else 0
        for b, r in enumerate(rows):
            if len(r) != n:
                raise ValueError(f"strings must have equal lengths (string 0 has {n} tokens, string {b} has {len(r)})")
            if not r or r[0] != BOS:
                raise CompileError(f"input {b} does not start with {BOS}: compiled models need the {BOS} at position 1")
            for p, t in enumerate(r):
                if t not in index:
                    raise CompileError(f"input token {t!r} (string {b}, position {p + 1}) is not in the vocabulary")
                if t == BOS and p > 0:
                    raise CompileError(f"input {b} has a second {BOS} at position {p + 1}; only position 1 may hold it")
            if self.max_len is not None and len(r) > self.max_len:
                raise CompileError(f"input {b} has {len(r)} tokens; this APE export handles at most {self.max_len}")
        return torch.tensor([[index[t] for t in r] for r in rows], dtype=torch.long).reshape(len(rows), n)

    def _model(self, dtype: torch.dtype) -> GPT:
        if dtype not in self._cast:
            same = self.model.wte.weight.dtype == dtype
            self._cast[dtype] = self.model if same else _copy_as(self.model, dtype)
        return self._cast[dtype]

    def residual(self, batch: Strings, offset: int | Sequence[int] = 0, dtype: torch.dtype = torch.float64
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Run the transformer; returns (final residual stream (B, T, d), logits (B, T, V)) as float64 arrays."""
        ids = self.encode(batch)
        B, T = ids.shape
        off = torch.as_tensor(np.broadcast_to(np.asarray(offset, dtype=np.int64), (B,)).copy())
        positions = off[:, None] + torch.arange(T)[None, :]
        if self.max_len is not None and int(positions.max()) >= self.max_len:
            raise CompileError(
                f"position ids reach {int(positions.max())}; this APE export has {self.max_len} positions"
            )
        model = self._model(dtype)
        store: list[torch.Tensor] = []
        handle = model.ln_f.register_forward_hook(lambda mod, inp, out: store.append(inp[0]))
        try:
            with torch.no_grad():
                logits = model(ids, positions)
        finally:
            handle.remove()
        return store[0].double().numpy(), logits.double().numpy()

    def values(self, batch: Strings, offset: int | Sequence[int] = 0, dtype: torch.dtype = torch.float64,
               with_residual: bool = False) -> Any:
        """The real-valued read-outs (B, T): Booleans as numbers near 0/1, counts as numbers near
        integers (and the final residual stream (B, T, d) too if ``with_residual``)."""
        x, _ = self.residual(batch, offset, dtype)
        out: dict[str, np.ndarray] = {}
        inv_u = None
        for name, (kind, what) in self.readouts.items():
            if kind == "bool":
                out[name] = what.value(x)
            else:
                if inv_u is None:
                    inv_u = 1.0 / x[..., self.u_coord]
                out[name] = x[..., what] * inv_u
        return (out, x) if with_residual else out

    def evaluate(self, batch: Strings, offset: int | Sequence[int] = 0, dtype: torch.dtype = torch.float64
                 ) -> dict[str, np.ndarray]:
        """Like :func:`lengen.crasp.evaluate`: every definition at every position, (B, n) arrays of
        bool (Booleans) and int64 (counts), read from the transformer's residual stream."""
        vals = self.values(batch, offset, dtype)
        return {k: (v > 0.5) if self.readouts[k][0] == "bool" else np.rint(v).astype(np.int64) for k, v in vals.items()}

    def run(self, tokens: str | Sequence[str], offset: int = 0,
            dtype: torch.dtype = torch.float64) -> dict[str, np.ndarray]:
        """Every definition's values on one string (1-D arrays, index p - 1 = position p)."""
        return {k: v[0] for k, v in self.evaluate([as_tokens(tokens)], offset, dtype).items()}

    def logits(self, tokens: str | Sequence[str], offset: int = 0, dtype: torch.dtype = torch.float64) -> np.ndarray:
        """The output logits (T, V) on one string."""
        return self.residual([as_tokens(tokens)], offset, dtype)[1][0]

    # -- describing ---------------------------------------------------------------------------
    def summary_dict(self) -> dict:
        lay = self.layout
        kinds: dict[str, int] = {}
        for c in self.coords:
            kinds[c.kind] = kinds.get(c.kind, 0) + 1
        b = self.builder
        layers = []
        for l in range(lay.n_layer):
            hs = sorted([h for h in b.heads if h.block == l], key=lambda h: lay.head_index[id(h)])
            layers.append({
                "heads": [{"kind": h.kind, "k": h.k, "values": len(h.values)} for h in hs],
                "mlp_units": sum(1 for u in b.units if u.block == l),
            })
        return {
            "program": self.program.name,
            "fragment": self.program.info().fragment,
            "model": "APE GPT" if self.max_len is not None else "Limit Transformer",
            "max_len": self.max_len,
            "layers": lay.n_layer,
            "heads": lay.n_head,
            "d_head": lay.d_head,
            "d_model": lay.d_model,
            "width_used": lay.width,
            "d_mlp": lay.d_mlp,
            "period": lay.period,
            "window": lay.window,
            "parameters": self.model.num_parameters(),
            "coordinates": kinds,
            "per_layer": layers,
        }

    def summary(self) -> str:
        """Layers, heads and width of the compiled model, and what each layer does."""
        s = self.summary_dict()
        kind = f"an APE GPT (positions < {s['max_len']})" if s["max_len"] else "a Limit Transformer"
        lines = [
            f"{s['program'] or 'program'} ({s['fragment']}) compiled to {kind}:",
            f"  {_n(s['layers'], 'layer')}, {_n(s['heads'], 'head')} of width {s['d_head']}, d_model {s['d_model']} "
            f"({s['width_used']} coordinates used), d_mlp {s['d_mlp']}, period {s['period']}, window {s['window']}, "
            f"{s['parameters']} parameters",
            "  residual coordinates: " + ", ".join(f"{v} {k}" for k, v in s["coordinates"].items()),
        ]
        for l, layer in enumerate(s["per_layer"]):
            heads = "; ".join(
                (f"uniform head averaging {_n(h['values'], 'value')}" if h["kind"] == "uniform" else
                 f"shift-{h['k']} head reading {_n(h['values'], 'value')}") for h in layer["heads"]
            ) or "no heads"
            lines.append(f"  layer {l}: {heads}; MLP with {layer['mlp_units']} ReLU units")
        return "\n".join(lines)

    # -- export -------------------------------------------------------------------------------
    def to_ape(self, max_len: int) -> "CompiledModel":
        """The same computation in an ordinary ``GPT(pe="ape", n_positions=max_len)`` (see the
        module docstring): correct for inputs whose position ids stay below ``max_len``."""
        if max_len < 1:
            raise ValueError("max_len must be >= 1")
        b = CircuitBuilder(self.program, self.vocab, sign_norm=False)  # comparisons by slope, not by sign
        b.build()
        outputs = output_literals(b, self.task)
        lay = layout(b, extra=2, min_d_head=2 if any(h.kind == "shift" for h in b.heads) else 1)
        circle = (len(b.coords), len(b.coords) + 1)
        cfg = ModelConfig(
            vocab_size=len(self.vocab), n_positions=max_len, n_layer=lay.n_layer, n_head=lay.n_head,
            d_model=lay.d_model, d_mlp=lay.d_mlp, pe="ape", activation="relu", layer_norm=False,
            tie_embeddings=False,
        )
        model = empty_model(GPT, cfg)
        fill_weights(model, b, lay, outputs, self.vocab, ape_len=max_len, circle=circle)
        coords = list(b.coords) + [Coord("cos(theta t)", "circle"), Coord("sin(theta t)", "circle")]
        return CompiledModel(self.program, self.vocab, model, b.readouts, lay, coords, b._u, outputs,
                             max_len=max_len, builder=b, task=self.task)

    # -- checking -----------------------------------------------------------------------------
    def verify(self, **kw: Any) -> Any:
        """Compare with the interpreter at every position; see :func:`lengen.crasp.compiler.verify`."""
        from . import checking

        return checking.verify(self, **kw)


def _n(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def _copy_as(model: GPT, dtype: torch.dtype) -> GPT:
    return copy.deepcopy(model).to(dtype)


def compile(program: Program | str, vocab: Any = None, *, task: Any = None) -> CompiledModel:  # noqa: A001
    """Compile ``program`` into a :class:`~lengen.limit.LimitTransformer`.

    ``vocab``: the token strings (a list, or a :class:`lengen.tasks.Vocab`); token ids are their
    indices.  Default: the program's own vocabulary if it was parsed with one, else
    :func:`default_vocab`.  It must contain ``<bos>`` and every token the program tests.
    ``task``: the program's task (a :class:`lengen.tasks.Task` or its name).  Its vocabulary is the
    default, and for a formal language its label tokens (``[01]``, ``[in]``, ...) become the logits;
    without a task (or for an algorithmic task) the logits come from the ``next_<token>`` definitions.

    Raises :class:`CompileError` (naming the construct) for programs it cannot compile.
    """
    if isinstance(program, str):
        from ..parser import parse

        program = parse(program)
    if isinstance(task, str):
        from lengen.tasks import get_task

        task = get_task(task)
    tokens = as_vocab(vocab) or (list(program.vocab) if program.vocab else default_vocab(program))
    if task is not None and not as_vocab(vocab):
        tokens = list(task.vocab.tokens)
    validate(program, tokens)
    b = CircuitBuilder(program, tokens)
    b.build()
    outputs = output_literals(b, task)
    lay = layout(b)
    cfg = LimitConfig(
        vocab_size=len(tokens), n_layer=lay.n_layer, n_head=lay.n_head, d_model=lay.d_model, d_mlp=lay.d_mlp,
        activation="relu", layer_norm=False, tie_embeddings=False, pe="periodic", period=lay.period,
        window=lay.window, sign_coords=tuple(b.slots), sign_eps=SIGN_EPS,
    )
    model = empty_model(LimitTransformer, cfg)
    fill_weights(model, b, lay, outputs, tokens)
    return CompiledModel(program, tokens, model, b.readouts, lay, b.coords, b._u, outputs, builder=b, task=task)
