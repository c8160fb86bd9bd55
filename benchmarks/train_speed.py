"""Training and evaluation speed of lengen's GPT against Hugging Face's GPT2LMHeadModel, on CPU.

Both models are built at the same configuration (the paper's small ones), get the same weights
(lengen's initialization, copied into the Hugging Face model), the same batch of random token ids,
random position offsets and ``-100``-masked labels, the same AdamW and the same gradient clipping.
They run in ONE process, float32, with the same torch thread count, and their timing repeats are
interleaved (A B C, C B A, ...) after a warm-up, so that machine noise hits both alike; we report
medians and the ratio lengen / Hugging Face.  Each configuration is timed in 3 fresh processes
(``--processes``) and the median process is reported, since the C allocator's state makes the
ratio vary between processes more than within one (see ``bench_in_fresh_processes``).

* training: tokens/s of a full step (forward, loss on the supervised positions, zero_grad,
  backward, clip at 1.0, AdamW step), batch 64; tokens = batch x sequence length.
* evaluation: examples/s of a no-grad forward plus argmax in eval mode, batch 256 (lengen's
  evaluation batch size).

lengen is timed twice: as it trains and evaluates (``lengen``: the last block, final LayerNorm
and output layer run only at the supervised positions, ``GPT.forward(..., rows=...)`` with
``lengen.evaluate.supervised_rows``, as in ``lengen.train`` and ``lengen.evaluate.predict_correct``),
and computing every position as Hugging Face does (``lengen_full``).  Both ratios are reported:
the first is what a lengen user gets, the second compares the two implementations of the same
computation.

Hugging Face runs with ``attn_implementation="sdpa"`` (its fastest CPU path) and ``use_cache=False``
(no key/value cache is needed for training or teacher-forced evaluation).  Its loss shifts the labels
internally, so it gets the unshifted labels; lengen gets them already shifted (its convention: the
target at position t is predicted at position t).  Both then average the cross-entropy over exactly
the same supervised positions.  The optimizer and the clipping are the same code for both (lengen.train's
``make_optimizer`` and ``clip_gradients``: AdamW with lr 1e-3, weight decay 0.01 on matrices only,
PyTorch's ``foreach`` implementation), so the ratio measures the models.

lengen's linear layers use oneDNN on CPU (see ``lengen.fast_linear.Linear``); ``--plain-linear`` turns that
off to measure what it brings.  ``--check`` (run before every benchmark, too) copies lengen's weights
into the Hugging Face model and asserts that logits, loss and gradients agree to 1e-4, and that
lengen's oneDNN and plain linear paths agree to 1e-4.

Usage::

    python benchmarks/train_speed.py            # full run (about 9 minutes), writes benchmarks/results/train_speed.json
    python benchmarks/train_speed.py --quick    # about a minute
    python benchmarks/train_speed.py --check    # only check that both models compute the same logits, loss and gradients

Requires the ``bench`` extra: ``pip install -e ".[bench]"`` (Hugging Face ``transformers``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import lengen.fast_linear as fast_linear  # noqa: E402
from lengen.files import write_json  # noqa: E402
from lengen.model import GPT, ModelConfig  # noqa: E402
from lengen.evaluate import supervised_rows  # noqa: E402
from lengen.train import clip_gradients, loss_fn, make_optimizer  # noqa: E402

IGNORE_INDEX = -100
TRAIN_BATCH = 64
EVAL_BATCH = 256
LR = 1e-3
WEIGHT_DECAY = 0.01
GRAD_CLIP = 1.0
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "train_speed.json"


@dataclass(frozen=True)
class BenchConfig:
    name: str
    n_layer: int
    n_head: int
    d_model: int
    seq_len: int  # T: positions per sequence in the batch
    vocab_size: int
    n_positions: int  # rows of the positional table (the task's longest test sequence)
    n_supervised: int  # supervised (labelled) positions at the end of each sequence

    @property
    def label(self) -> str:
        return f"{self.name} (L{self.n_layer} H{self.n_head} d{self.d_model} T{self.seq_len} V{self.vocab_size})"


# (layers, heads, d, seq_len, vocab) from the brief; n_positions is what the task needs for test
# lengths up to 150 (sequence length at 150), supervision as in the task (answer + <eos>, or the copy).
CONFIGS = [
    BenchConfig("bin_majority", 1, 1, 16, 54, 6, 154, 2),
    BenchConfig("unique_copy", 2, 1, 64, 103, 154, 303, 51),
    BenchConfig("majority", 1, 2, 256, 54, 30, 154, 2),
    BenchConfig("unique_copy 2x2", 2, 2, 64, 103, 154, 303, 51),
]


# ---------------------------------------------------------------------------------------------
# the two models
# ---------------------------------------------------------------------------------------------
def import_transformers():
    try:
        import transformers  # noqa: F401
        from transformers import GPT2Config, GPT2LMHeadModel
    except ImportError as e:
        sys.exit(
            "benchmarks/train_speed.py compares against Hugging Face transformers, which is not installed "
            f"({e}).\nInstall the benchmark extra:  pip install -e \".[bench]\"   "
            '(or: pip install "transformers>=4.40")'
        )
    transformers.logging.set_verbosity_error()  # config notes about GPT-2's token ids, irrelevant here
    return transformers, GPT2Config, GPT2LMHeadModel


def build_lengen(cfg: BenchConfig, seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    return GPT(
        ModelConfig(
            vocab_size=cfg.vocab_size,
            n_positions=cfg.n_positions,
            n_layer=cfg.n_layer,
            n_head=cfg.n_head,
            d_model=cfg.d_model,
            pe="ape",
        )
    )


def build_hf(cfg: BenchConfig, attn: str = "sdpa"):
    _, GPT2Config, GPT2LMHeadModel = import_transformers()
    hf_cfg = GPT2Config(
        vocab_size=cfg.vocab_size,
        n_positions=cfg.n_positions,
        n_embd=cfg.d_model,
        n_layer=cfg.n_layer,
        n_head=cfg.n_head,
        n_inner=4 * cfg.d_model,
        activation_function="gelu_new",
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        layer_norm_epsilon=1e-5,
        tie_word_embeddings=True,
        use_cache=False,
        bos_token_id=None,  # GPT-2's 50256 is outside these small vocabularies
        eos_token_id=None,
    )
    model = GPT2LMHeadModel._from_config(hf_cfg, attn_implementation=attn, dtype=torch.float32)
    impl = model.config._attn_implementation
    if impl != attn:
        raise RuntimeError(f"asked Hugging Face for attn_implementation={attn!r} but it uses {impl!r}")
    if model.lm_head.weight is not model.transformer.wte.weight:
        raise RuntimeError("the Hugging Face model's output layer is not tied to its token embedding")
    return model


@torch.no_grad()
def copy_lengen_into_hf(src: GPT, dst) -> None:
    """Copy every lengen weight into the HF model.  HF's Conv1D stores (d_in, d_out): transpose."""
    t = dst.transformer
    t.wte.weight.copy_(src.wte.weight)
    t.wpe.weight.copy_(src.wpe.weight)
    for blk, h in zip(src.blocks, t.h):
        h.ln_1.weight.copy_(blk.ln1.weight)
        h.ln_1.bias.copy_(blk.ln1.bias)
        h.attn.c_attn.weight.copy_(blk.attn.qkv.weight.T)
        h.attn.c_attn.bias.copy_(blk.attn.qkv.bias)
        h.attn.c_proj.weight.copy_(blk.attn.out.weight.T)
        h.attn.c_proj.bias.copy_(blk.attn.out.bias)
        h.ln_2.weight.copy_(blk.ln2.weight)
        h.ln_2.bias.copy_(blk.ln2.bias)
        h.mlp.c_fc.weight.copy_(blk.mlp.fc.weight.T)
        h.mlp.c_fc.bias.copy_(blk.mlp.fc.bias)
        h.mlp.c_proj.weight.copy_(blk.mlp.proj.weight.T)
        h.mlp.c_proj.bias.copy_(blk.mlp.proj.bias)
    t.ln_f.weight.copy_(src.ln_f.weight)
    t.ln_f.bias.copy_(src.ln_f.bias)


def lengen_grads_in_hf_layout(src: GPT) -> dict[str, torch.Tensor]:
    """lengen's gradients, named and laid out as the HF parameters they correspond to."""
    g = {"transformer.wte.weight": src.wte.weight.grad, "transformer.wpe.weight": src.wpe.weight.grad}
    for i, blk in enumerate(src.blocks):
        p = f"transformer.h.{i}."
        g[p + "ln_1.weight"], g[p + "ln_1.bias"] = blk.ln1.weight.grad, blk.ln1.bias.grad
        g[p + "attn.c_attn.weight"], g[p + "attn.c_attn.bias"] = blk.attn.qkv.weight.grad.T, blk.attn.qkv.bias.grad
        g[p + "attn.c_proj.weight"], g[p + "attn.c_proj.bias"] = blk.attn.out.weight.grad.T, blk.attn.out.bias.grad
        g[p + "ln_2.weight"], g[p + "ln_2.bias"] = blk.ln2.weight.grad, blk.ln2.bias.grad
        g[p + "mlp.c_fc.weight"], g[p + "mlp.c_fc.bias"] = blk.mlp.fc.weight.grad.T, blk.mlp.fc.bias.grad
        g[p + "mlp.c_proj.weight"], g[p + "mlp.c_proj.bias"] = blk.mlp.proj.weight.grad.T, blk.mlp.proj.bias.grad
    g["transformer.ln_f.weight"], g["transformer.ln_f.bias"] = src.ln_f.weight.grad, src.ln_f.bias.grad
    return g


def adamw(model: torch.nn.Module) -> torch.optim.AdamW:
    """lengen's optimizer (lengen.train.make_optimizer): AdamW, weight decay on matrices only,
    foreach.  The same for both models."""
    return make_optimizer(model, LR, WEIGHT_DECAY)


# ---------------------------------------------------------------------------------------------
# the data: one batch, shared
# ---------------------------------------------------------------------------------------------
@dataclass
class Data:
    inputs: torch.Tensor  # (B, T) token ids
    positions: torch.Tensor  # (B, T) position ids with a random offset per example
    targets: torch.Tensor  # (B, T) lengen convention: predicted at position t; -100 = unsupervised
    labels: torch.Tensor  # (B, T) HF convention: unshifted, HF compares logits[t] with labels[t+1]


def make_data(cfg: BenchConfig, batch: int, seed: int = 1) -> Data:
    g = torch.Generator().manual_seed(seed)
    B, T = batch, cfg.seq_len
    inputs = torch.randint(0, cfg.vocab_size, (B, T), generator=g)
    offsets = torch.randint(0, cfg.n_positions - T + 1, (B, 1), generator=g)
    positions = offsets + torch.arange(T)
    # language-modelling framing: the label at t is input t+1, supervised on the last n_supervised
    # predicting positions; HF's unshifted labels are the inputs with unsupervised tokens masked.
    labels = inputs.clone()
    labels[:, : T - cfg.n_supervised] = IGNORE_INDEX
    targets = torch.full_like(labels, IGNORE_INDEX)
    targets[:, :-1] = labels[:, 1:]
    return Data(inputs, positions, targets, labels)


# ---------------------------------------------------------------------------------------------
# the steps being timed
# ---------------------------------------------------------------------------------------------
def lengen_loss(model: GPT, d: Data) -> torch.Tensor:
    """lengen.train's loss: the model runs its last block only at the supervised positions."""
    rows, targets = supervised_rows(d.targets)
    return loss_fn(model(d.inputs, d.positions, rows=rows), targets)


def lengen_full_loss(model: GPT, d: Data) -> torch.Tensor:
    """The same loss from logits at every position, as Hugging Face computes it."""
    return loss_fn(model(d.inputs, d.positions), d.targets)


def hf_loss(model, d: Data) -> torch.Tensor:
    return model(input_ids=d.inputs, position_ids=d.positions, labels=d.labels).loss


def train_step_fn(model, loss_of, d: Data) -> Callable[[], None]:
    opt = adamw(model)

    def step() -> None:
        loss = loss_of(model, d)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        clip_gradients(model, GRAD_CLIP)  # lengen.train's clipping, for both models
        opt.step()
        float(loss.detach())  # lengen.train reads the loss every step

    return step


def eval_step_fn(model, logits_of, d: Data) -> Callable[[], None]:
    @torch.no_grad()
    def step() -> None:
        logits_of(model, d).argmax(-1)

    return step


def lengen_logits(model: GPT, d: Data) -> torch.Tensor:
    """Logits at every position (B, T, V)."""
    return model(d.inputs, d.positions)


def lengen_eval_logits(model: GPT, d: Data) -> torch.Tensor:
    """lengen's evaluation (lengen.evaluate.predict_correct): logits at the supervised positions only."""
    rows, _ = supervised_rows(d.targets)
    return model(d.inputs, d.positions, rows=rows)


def hf_logits(model, d: Data) -> torch.Tensor:
    return model(input_ids=d.inputs, position_ids=d.positions).logits


# ---------------------------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------------------------
def time_once(fn: Callable[[], None], n: int) -> tuple[float, float]:
    """Wall-clock and process-CPU seconds per call over ``n`` calls."""
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return (time.perf_counter() - w0) / n, (time.process_time() - c0) / n


def interleaved(fns: dict[str, Callable[[], None]], repeats: int, target_s: float, warmup_s: float) -> dict:
    """Warm every function up, choose calls per repeat so a repeat lasts ~target_s, then time
    ``repeats`` rounds A B, B A, A B, ... (the order alternates each round).  Seconds per call, per
    repeat, by wall clock and by process CPU time."""
    calls = {}
    for name, fn in fns.items():
        fn()
        fn()  # first calls allocate, pick kernels
        t0, n = time.perf_counter(), 0
        while time.perf_counter() - t0 < warmup_s or n < 3:
            fn()
            n += 1
        per_call = (time.perf_counter() - t0) / n
        calls[name] = max(1, round(target_s / per_call))
    wall: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    names = list(fns)
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            w, c = time_once(fns[name], calls[name])
            wall[name].append(w)
            cpu[name].append(c)
    return {"calls_per_repeat": calls, "wall": wall, "cpu": cpu}


def summarize(samples: list[float], units_per_call: int) -> dict:
    med = statistics.median(samples)
    return {
        "median_s_per_call": med,
        "per_s": units_per_call / med,
        "per_s_min": units_per_call / max(samples),
        "per_s_max": units_per_call / min(samples),
    }


# ---------------------------------------------------------------------------------------------
# the equivalence check
# ---------------------------------------------------------------------------------------------
def _lengen_logits_loss_grads(model: GPT, d: Data, loss_of: Callable[[GPT, Data], torch.Tensor] = lengen_full_loss):
    model.zero_grad(set_to_none=True)
    model.eval()
    with torch.no_grad():
        logits = lengen_logits(model, d)
    model.train()
    loss = loss_of(model, d)
    loss.backward()
    return logits, float(loss.detach()), lengen_grads_in_hf_layout(model)


def check(cfg: BenchConfig, attn: str, tol: float = 1e-4, verbose: bool = True) -> dict:
    """Copy lengen's weights into HF and assert equal logits (eval), loss and gradients (float32), on a
    training-size batch.  Also compare lengen with and without its oneDNN linear path."""
    ours = build_lengen(cfg)
    theirs = build_hf(cfg, attn)
    copy_lengen_into_hf(ours, theirs)
    d = make_data(cfg, TRAIN_BATCH)
    a, la, ga = _lengen_logits_loss_grads(ours, d)
    theirs.eval()
    with torch.no_grad():
        b = hf_logits(theirs, d)
    assert a.shape == b.shape, (a.shape, b.shape)
    theirs.train()
    loss_hf = hf_loss(theirs, d)
    loss_hf.backward()
    lb = float(loss_hf.detach())
    hf_params = dict(theirs.named_parameters())
    assert set(ga) == set(hf_params), set(ga) ^ set(hf_params)
    out = {
        "batch": TRAIN_BATCH,
        "max_abs_logit_diff": float((a - b).abs().max()),
        "loss_lengen": la,
        "loss_hf": lb,
        "abs_loss_diff": abs(la - lb),
        "max_abs_grad_diff": max(float((ga[k] - hf_params[k].grad).abs().max()) for k in ga),
    }
    # lengen's training loss (last block at the supervised positions only) against the full pass
    _, lr_, gr = _lengen_logits_loss_grads(ours, d, lengen_loss)
    with torch.no_grad():
        ours.eval()
        rows, _ = supervised_rows(d.targets)
        at_rows = a.gather(1, rows.unsqueeze(-1).expand(-1, -1, a.shape[-1])) if rows is not None else a
        e_diff = float((lengen_eval_logits(ours, d) - at_rows).abs().max())
        ours.train()
    out["supervised_rows_vs_full"] = {
        "max_abs_logit_diff": e_diff,
        "abs_loss_diff": abs(lr_ - la),
        "max_abs_grad_diff": max(float((gr[k] - ga[k]).abs().max()) for k in ga),
    }
    if fast_linear.FAST_CPU_LINEAR:  # the same model through plain F.linear
        fast_linear.FAST_CPU_LINEAR = False
        try:
            a2, la2, ga2 = _lengen_logits_loss_grads(ours, d)
        finally:
            fast_linear.FAST_CPU_LINEAR = True
        out["fast_vs_plain_linear"] = {
            "max_abs_logit_diff": float((a - a2).abs().max()),
            "abs_loss_diff": abs(la - la2),
            "max_abs_grad_diff": max(float((ga[k] - ga2[k]).abs().max()) for k in ga),
        }
    if verbose:
        print(
            f"check {cfg.label}: vs HF max|logit diff| {out['max_abs_logit_diff']:.1e}, loss {la:.6f} vs {lb:.6f}, "
            f"max|grad diff| {out['max_abs_grad_diff']:.1e}; lengen at supervised rows vs full: max|grad diff| "
            f"{out['supervised_rows_vs_full']['max_abs_grad_diff']:.1e}"
            + (
                f"; lengen oneDNN vs plain linear: max|logit diff| {out['fast_vs_plain_linear']['max_abs_logit_diff']:.1e}, "
                f"max|grad diff| {out['fast_vs_plain_linear']['max_abs_grad_diff']:.1e}"
                if "fast_vs_plain_linear" in out
                else ""
            ),
            flush=True,
        )
    diffs = [out["max_abs_logit_diff"], out["abs_loss_diff"], out["max_abs_grad_diff"]]
    diffs += list(out["supervised_rows_vs_full"].values())
    diffs += list(out.get("fast_vs_plain_linear", {}).values())
    if not all(x <= tol for x in diffs):
        raise AssertionError(f"lengen and Hugging Face disagree at {cfg.label}: {out} (tolerance {tol})")
    return out


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def bench_config(cfg: BenchConfig, attn: str, repeats: int, target_s: float, warmup_s: float, clock: str) -> dict:
    ours = build_lengen(cfg)
    full = build_lengen(cfg)  # lengen computing every position, as HF does
    theirs = build_hf(cfg, attn)
    copy_lengen_into_hf(ours, theirs)  # identical numbers flow through all three
    dt = make_data(cfg, TRAIN_BATCH)
    de = make_data(cfg, EVAL_BATCH, seed=2)

    for m in (ours, full, theirs):
        m.train()
    tr = interleaved(
        {"lengen": train_step_fn(ours, lengen_loss, dt), "lengen_full": train_step_fn(full, lengen_full_loss, dt),
         "hf": train_step_fn(theirs, hf_loss, dt)},
        repeats, target_s, warmup_s,
    )
    for m in (ours, full, theirs):
        m.eval()
    ev = interleaved(
        {"lengen": eval_step_fn(ours, lengen_eval_logits, de), "lengen_full": eval_step_fn(full, lengen_logits, de),
         "hf": eval_step_fn(theirs, hf_logits, de)},
        repeats, target_s, warmup_s,
    )
    tokens = TRAIN_BATCH * cfg.seq_len
    train = {c: {k: summarize(v, tokens) for k, v in tr[c].items()} for c in ("wall", "cpu")}
    evals = {c: {k: summarize(v, EVAL_BATCH) for k, v in ev[c].items()} for c in ("wall", "cpu")}

    def ratio(d: dict, c: str, who: str = "lengen") -> float:
        return d[c][who]["per_s"] / d[c]["hf"]["per_s"]

    return {
        "config": {**cfg.__dict__, "train_batch": TRAIN_BATCH, "eval_batch": EVAL_BATCH},
        "n_parameters": ours.num_parameters(),
        "clock": clock,
        "train_tokens_per_s": {k: v["per_s"] for k, v in train[clock].items()},
        "train_ratio": ratio(train, clock),
        "eval_examples_per_s": {k: v["per_s"] for k, v in evals[clock].items()},
        "eval_ratio": ratio(evals, clock),
        "train_ratio_full_forward": ratio(train, clock, "lengen_full"),
        "eval_ratio_full_forward": ratio(evals, clock, "lengen_full"),
        "ratios_by_clock": {
            c: {"train": ratio(train, c), "eval": ratio(evals, c), "train_full_forward": ratio(train, c, "lengen_full"),
                "eval_full_forward": ratio(evals, c, "lengen_full")}
            for c in ("wall", "cpu")
        },
        "train_detail": train,
        "eval_detail": evals,
        "calls_per_repeat": {"train": tr["calls_per_repeat"], "eval": ev["calls_per_repeat"]},
    }


def _child_setup(threads: int, plain_linear: bool) -> None:
    torch.set_num_threads(threads)
    if plain_linear:
        fast_linear.FAST_CPU_LINEAR = False
    import_transformers()


def bench_in_fresh_processes(
    cfg: BenchConfig, processes: int, attn: str, repeats: int, target_s: float, warmup_s: float, clock: str,
    threads: int, plain_linear: bool,
) -> dict:
    """Run :func:`bench_config` in ``processes`` fresh processes, one after another, and return the
    result of the process with the median training ratio, all processes' ratios attached.

    Why: the ratio varies between processes far more than between the repeats of one process
    (measured here: 1.34x to 1.60x for bin_majority), because the C allocator's state (glibc's
    adaptive mmap threshold) decides how many large temporaries are served by fresh, page-faulting
    memory, and the two models allocate differently.  A median over fresh processes is stable."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    runs = []
    for _ in range(processes):
        with ctx.Pool(1, initializer=_child_setup, initargs=(threads, plain_linear)) as pool:
            runs.append(pool.apply(bench_config, (cfg, attn, repeats, target_s, warmup_s, clock)))
    order = sorted(range(processes), key=lambda i: runs[i]["train_ratio"])
    chosen = dict(runs[order[processes // 2]])
    chosen["processes"] = {
        "n": processes,
        "train_ratios": [r["train_ratio"] for r in runs],
        "eval_ratios": [r["eval_ratio"] for r in runs],
        "train_ratios_full_forward": [r["train_ratio_full_forward"] for r in runs],
        "eval_ratios_full_forward": [r["eval_ratio_full_forward"] for r in runs],
        "train_tokens_per_s": [r["train_tokens_per_s"] for r in runs],
        "eval_examples_per_s": [r["eval_examples_per_s"] for r in runs],
        "reported": "the process with the median training ratio",
    }
    return chosen


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| config | L | H | d | T | V | train tok/s lengen | train tok/s HF | ratio | ratio, full forward "
        "| eval ex/s lengen | eval ex/s HF | ratio | ratio, full forward |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        c = r["config"]
        lines.append(
            f"| {c['name']} | {c['n_layer']} | {c['n_head']} | {c['d_model']} | {c['seq_len']} | {c['vocab_size']} "
            f"| {r['train_tokens_per_s']['lengen']:,.0f} | {r['train_tokens_per_s']['hf']:,.0f} | {r['train_ratio']:.2f}x "
            f"| {r['train_ratio_full_forward']:.2f}x "
            f"| {r['eval_examples_per_s']['lengen']:,.0f} | {r['eval_examples_per_s']['hf']:,.0f} | {r['eval_ratio']:.2f}x "
            f"| {r['eval_ratio_full_forward']:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="torch threads for both models (default 1)")
    ap.add_argument("--quick", action="store_true", help="fewer and shorter repeats (about a minute)")
    ap.add_argument("--check", action="store_true", help="only check that both models agree (logits, loss, grads)")
    ap.add_argument("--repeats", type=int, default=None, help="timing repeats per model (default 15; --quick 5)")
    ap.add_argument("--attn", choices=["sdpa", "eager"], default="sdpa", help="Hugging Face attention implementation")
    ap.add_argument("--configs", default=None, help="comma-separated config names to run (default: all)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"result JSON (default {DEFAULT_OUT.relative_to(ROOT)})")
    ap.add_argument("--no-write", action="store_true", help="print the table but do not write the JSON")
    ap.add_argument(
        "--clock",
        choices=["auto", "cpu", "wall"],
        default="auto",
        help="time by process CPU time or wall clock; auto = cpu with 1 thread (robust to other processes on a "
        "shared machine), wall otherwise.  Both are recorded in the JSON",
    )
    ap.add_argument(
        "--processes",
        type=int,
        default=None,
        help="time each configuration in this many fresh processes and report the median (default 3; --quick 1)",
    )
    ap.add_argument(
        "--plain-linear",
        action="store_true",
        help="run lengen's linear layers through plain F.linear (MKL), i.e. without its oneDNN CPU path",
    )
    args = ap.parse_args(argv)

    transformers, _, _ = import_transformers()
    torch.set_num_threads(args.threads)
    if args.plain_linear:
        fast_linear.FAST_CPU_LINEAR = False
    clock = args.clock if args.clock != "auto" else ("cpu" if args.threads == 1 else "wall")
    onednn_on = bool(fast_linear.FAST_CPU_LINEAR and fast_linear._probe_onednn() is not None)
    configs = CONFIGS
    if args.configs:
        wanted = [s.strip() for s in args.configs.split(",") if s.strip()]
        unknown = [w for w in wanted if w not in {c.name for c in CONFIGS}]
        if unknown:
            sys.exit(f"unknown config(s) {unknown}; choose from {[c.name for c in CONFIGS]}")
        configs = [c for c in CONFIGS if c.name in wanted]

    checks = {c.name: check(c, args.attn) for c in configs}
    if args.check:
        print("lengen and Hugging Face agree on every configuration.")
        return 0

    repeats = args.repeats or (5 if args.quick else 15)
    processes = args.processes or (1 if args.quick else 3)
    if processes < 1:
        sys.exit("--processes must be at least 1")
    target_s = 0.15 if args.quick else 0.4
    warmup_s = 0.3 if args.quick else 1.0
    started = _dt.datetime.now(_dt.timezone.utc)
    machine_at_start = machine()
    rows = []
    for c in configs:
        t0 = time.perf_counter()
        if processes == 1:
            r = bench_config(c, args.attn, repeats, target_s, warmup_s, clock)
        else:
            r = bench_in_fresh_processes(
                c, processes, args.attn, repeats, target_s, warmup_s, clock, args.threads, args.plain_linear
            )
        r["check"] = checks[c.name]
        rows.append(r)
        print(
            f"{c.label}: train {r['train_ratio']:.2f}x ({r['train_ratio_full_forward']:.2f}x computing every position), "
            f"eval {r['eval_ratio']:.2f}x ({r['eval_ratio_full_forward']:.2f}x) by {clock} time "
            f"(by {'wall' if clock == 'cpu' else 'cpu'} time: train {r['ratios_by_clock']['wall' if clock == 'cpu' else 'cpu']['train']:.2f}x, "
            f"eval {r['ratios_by_clock']['wall' if clock == 'cpu' else 'cpu']['eval']:.2f}x)  "
            f"({time.perf_counter() - t0:.0f}s)",
            flush=True,
        )
        if "processes" in r:
            print(
                f"    train ratio in each of {processes} fresh processes: "
                + ", ".join(f"{x:.2f}x" for x in r["processes"]["train_ratios"])
                + "; eval: " + ", ".join(f"{x:.2f}x" for x in r["processes"]["eval_ratios"]),
                flush=True,
            )
    table = markdown_table(rows)
    print()
    print(table)
    print(
        f"\ntrain ratio: min {min(r['train_ratio'] for r in rows):.2f}x (computing every position: "
        f"{min(r['train_ratio_full_forward'] for r in rows):.2f}x), geomean "
        f"{geomean([r['train_ratio'] for r in rows]):.2f}x; eval ratio: min {min(r['eval_ratio'] for r in rows):.2f}x, "
        f"geomean {geomean([r['eval_ratio'] for r in rows]):.2f}x  (torch {torch.__version__}, transformers "
        f"{transformers.__version__}, {torch.get_num_threads()} thread(s), {clock} clock, HF attention {args.attn}, "
        f"lengen oneDNN linear {'on' if onednn_on else 'off'})"
    )
    result = {
        "benchmark": "benchmarks/train_speed.py",
        "command": " ".join(["python benchmarks/train_speed.py", *(sys.argv[1:] if argv is None else argv)]),
        "date_utc": started.isoformat(timespec="seconds"),
        "machine": machine_at_start,
        "load_average_at_end": machine()["load_average_1_5_15_min"],
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "threads": torch.get_num_threads(),
        "clock": clock,
        "hf_attn_implementation": args.attn,
        "lengen_onednn_linear": onednn_on,
        "dtype": "float32",
        "device": "cpu",
        "repeats": repeats,
        "processes": processes,
        # glibc allocator settings from the environment (none by default); see bench_in_fresh_processes
        "allocator_environment": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
        "seconds_per_repeat_target": target_s,
        "train_step": "forward, cross-entropy on supervised positions, zero_grad, backward, clip_grad_norm_(1.0, "
        "foreach), AdamW(lr 1e-3, weight decay 0.01 on matrices, foreach) step: lengen.train's code for both models; "
        "'lengen' runs its last block only at the supervised positions (as lengen.train does), 'lengen_full' at "
        "every position (as HF does)",
        "eval_step": "no_grad forward in eval mode + argmax ('lengen': at the supervised positions, as "
        "lengen.evaluate.predict_correct; 'lengen_full' and HF: every position)",
        "results": rows,
        "summary": {
            "train_ratio_min": min(r["train_ratio"] for r in rows),
            "train_ratio_full_forward_min": min(r["train_ratio_full_forward"] for r in rows),
            "train_ratio_geomean": geomean([r["train_ratio"] for r in rows]),
            "eval_ratio_min": min(r["eval_ratio"] for r in rows),
            "eval_ratio_geomean": geomean([r["eval_ratio"] for r in rows]),
            "target_train_ratio": 1.5,
        },
        "table_markdown": table,
    }
    if not args.no_write:
        write_json(args.out, result)
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
