"""Training several seeds of one model shape at once.

The paper's small models (1-4 layers, d 16-256) leave a GPU mostly idle: a training step is a
few dozen small kernels, and the time goes to launching them.  :class:`StackedSeeds` trains K
models of the same shape -- one per seed -- as one "stacked" model whose parameters carry a
leading dimension K.  Every matrix product becomes one batched product (``torch.bmm``), attention
runs once on K x B sequences, and one AdamW updates all K models, so a step costs about as many
kernel launches as one model's step.

It implements exactly :func:`lengen.train.train`'s protocol for each seed:

* model k is initialised after ``torch.manual_seed(seed_k)`` (the same weights as ``train``),
* its batches come from its own stream ``numpy.random.default_rng([seed_k, 1])``
  (the same examples and position offsets as ``train``),
* loss on supervised tokens (mean per model), the optional positional-product regularizer,
  gradient clipping at ``grad_clip`` **per model**, AdamW with weight decay on matrices only
  (AdamW is elementwise, so one optimizer over the stacked tensors equals K optimizers), the
  same linear warm-up and decay, bf16 autocast on CUDA.

So the K models end with the weights that K separate ``train`` runs would give, up to
floating-point rounding (the batched products sum in another order); ``benchmarks/batched_seeds.py``
checks this and measures the speed.  Early stopping and evaluation are left to the caller
(:meth:`StackedSeeds.model` returns model k as an ordinary :class:`~lengen.model.GPT`);
:mod:`lengen.experiments.stacked_runs` runs the whole protocol on top of this class, with
:meth:`~StackedSeeds.load_runs` (resume from separate runs' checkpoints),
:meth:`~StackedSeeds.optimizer_state` / :meth:`~StackedSeeds.stream_state` (write them) and
:meth:`~StackedSeeds.keep` (drop the runs that have stopped).

Drawing the K batches (Python and numpy) costs about as much as a small model's step on a GPU, so
with ``data_workers=W`` the batches are drawn ahead of time in W processes (worker w owns seeds
w, w + W, ...; each seed's stream stays in order, so the batches are the same).
"""

from __future__ import annotations

import copy
import time
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..devices import autocast, resolve_device
from ..evaluate import supervised_rows
from ..model import GPT
from ..tasks import IGNORE_INDEX, Batch, get_task
from ..train import TrainConfig, _lr_factor


class StackedSeeds:
    """K models of one shape (``cfg`` without its seed), one per seed, trained in lockstep.

    ``lrs``: a learning rate per model (default ``cfg.lr`` for all), so that the configurations of a
    sweep that differ only in the learning rate can train together (with the same seed, if need be).
    AdamW's update is linear in the learning rate, so one AdamW runs at the largest rate and each
    model's update is then scaled by its own rate over the largest."""

    def __init__(
        self,
        cfg: TrainConfig,
        seeds: Sequence[int],
        device: str | torch.device = "auto",
        data_workers: int = 0,
        lrs: Sequence[float] | None = None,
    ) -> None:
        self.cfg = cfg
        self.seeds = list(seeds)
        self.K = len(self.seeds)
        self.lrs = [float(x) for x in lrs] if lrs is not None else [cfg.lr] * self.K
        if len(self.lrs) != self.K or min(self.lrs) <= 0:
            raise ValueError(f"StackedSeeds needs one positive learning rate per seed, got {self.lrs} for {self.seeds}")
        self.task = get_task(cfg.task)
        self.device = resolve_device(device)
        self.model_cfg = cfg.model_config(self.task)
        models = []
        for s in self.seeds:
            torch.manual_seed(s)
            models.append(GPT(self.model_cfg).to(self.device))
        names = [n for n, _ in models[0].named_parameters()]  # tied lm_head.weight is not listed
        self.params: dict[str, torch.Tensor] = {
            n: torch.stack([dict(m.named_parameters())[n].detach() for m in models]).requires_grad_(True) for n in names
        }
        self._template = models[0]
        self.opt = self._make_optimizer()
        self.rngs = [np.random.default_rng([s, 1]) for s in self.seeds]
        self._stream_states: list[dict | None] = [None] * self.K  # after the last batch a data process drew
        self.step_count = 0
        self.data_workers = min(max(0, data_workers), self.K)
        self._producers: list[Any] = []  # (queue, stop event, process) per data process; None once stopped
        self._slots: list[tuple[int, int]] = []  # model k's batch: item j of data process w's list

    def _make_optimizer(self) -> torch.optim.AdamW:
        """One AdamW over the stacked tensors, grouped as :func:`lengen.train.make_optimizer` groups one
        model's (the parameters in the same order), so that model k's slice of its state is exactly
        the state of model k's own optimizer."""
        decay = [p for n, p in self.params.items() if p.dim() >= 3]  # per model: matrices
        no_decay = [p for n, p in self.params.items() if p.dim() < 3]
        return torch.optim.AdamW(
            [{"params": decay, "weight_decay": self.cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=max(self.lrs),
            foreach=True,  # as lengen.train.make_optimizer
        )

    # -- moving single runs in and out ---------------------------------------------------------
    def optimizer_state(self, k: int) -> dict:
        """Model k's AdamW state, as ``make_optimizer(model).state_dict()`` of a separate run holds it."""
        sd = self.opt.state_dict()
        state = {
            i: {name: (v[k].clone() if torch.is_tensor(v) and v.dim() > 0 else (v.clone() if torch.is_tensor(v) else v))
                for name, v in entry.items()}
            for i, entry in sd["state"].items()
        }
        return {"state": state, "param_groups": copy.deepcopy(sd["param_groups"])}

    def stream_state(self, k: int) -> dict:
        """The state of model k's training stream after the batches drawn so far (``bit_generator.state``)."""
        if self.data_workers and self._stream_states[k] is not None:
            return copy.deepcopy(self._stream_states[k])  # type: ignore[arg-type]
        return copy.deepcopy(self.rngs[k].bit_generator.state)

    def load_runs(self, models: Sequence[dict], optimizers: Sequence[dict], step: int,
                  streams: Sequence[dict]) -> None:
        """Go on from K separate runs' checkpoints, all taken at ``step``: their weights
        (:class:`~lengen.model.GPT` state dicts), AdamW states and stream states, in seed order."""
        if not (len(models) == len(optimizers) == len(streams) == self.K):
            raise ValueError(f"load_runs needs {self.K} runs' states, got {len(models)}")
        with torch.no_grad():
            for n, p in self.params.items():
                p.copy_(torch.stack([m[n].to(p.device, p.dtype) for m in models]))
        self._load_optimizers(optimizers)
        for rng, st in zip(self.rngs, streams):
            rng.bit_generator.state = st
        self._stream_states = [None] * self.K
        self.step_count = step
        self.close()  # data processes (if any) restart from the new step

    def _load_optimizers(self, optimizers: Sequence[dict]) -> None:
        """Stack K single-model AdamW states into the stacked optimizer."""
        first = optimizers[0]
        stacked = {
            "state": {
                i: {name: (torch.stack([o["state"][i][name] for o in optimizers])
                           if torch.is_tensor(v) and v.dim() > 0 else v)
                    for name, v in entry.items()}
                for i, entry in first["state"].items()
            },
            "param_groups": copy.deepcopy(first["param_groups"]),
        }
        self.opt.load_state_dict(stacked)
        for group in self.opt.param_groups:
            group["foreach"] = True

    def keep(self, indices: Sequence[int]) -> None:
        """Go on with models ``indices`` only (the others have finished): parameters, optimizer state
        and training streams are cut down to them.  Running data processes go on (a restart costs
        a process start-up); those left with no model to serve are stopped."""
        idx = list(indices)
        if not idx:
            raise ValueError("keep needs at least one model")
        streams = [self.stream_state(i) for i in idx]
        opt_states = [self.optimizer_state(i) for i in idx]
        sel = torch.tensor(idx, device=self.device)
        self.params = {n: p.detach()[sel].clone().requires_grad_(True) for n, p in self.params.items()}
        self.seeds = [self.seeds[i] for i in idx]
        self.lrs = [self.lrs[i] for i in idx]
        self.K = len(idx)
        self.rngs = [np.random.default_rng([s, 1]) for s in self.seeds]
        for rng, st in zip(self.rngs, streams):
            rng.bit_generator.state = st
        if self._producers:
            self._slots = [self._slots[i] for i in idx]
            self._stream_states = [self._stream_states[i] for i in idx]
            used = {w for w, _ in self._slots}
            _stop([pr for w, pr in enumerate(self._producers) if pr is not None and w not in used])
            self._producers = [pr if w in used else None for w, pr in enumerate(self._producers)]
        else:
            self._stream_states = [None] * self.K
        self.opt = self._make_optimizer()
        self._load_optimizers(opt_states)

    # -- data ----------------------------------------------------------------------------------
    def _start_producers(self) -> None:
        """Start ``min(data_workers, K)`` processes; worker w draws the batches of seeds w, w + W, ...
        from their own streams (the same batches as drawing them here), a few steps ahead."""
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        W = min(self.data_workers, self.K)
        lo, hi = self.cfg.train_range
        self._slots = [(0, 0)] * self.K  # model k's batch: item j of worker w's list
        for w in range(W):
            idx = list(range(w, self.K, W))
            for j, i in enumerate(idx):
                self._slots[i] = (w, j)
            q = ctx.Queue(maxsize=4)
            stop = ctx.Event()
            proc = ctx.Process(
                target=_produce,
                args=(self.cfg.task, [self.seeds[i] for i in idx], self.cfg.batch_size, lo, hi, self.cfg.offsets,
                      self.model_cfg.n_positions, self.step_count, q, stop),
                daemon=True,
            )
            proc.start()
            self._producers.append((q, stop, proc))

    def start_data(self) -> None:
        """Start the data processes now (they start with the first step otherwise) and wait until
        each has its first batches ready."""
        if self.data_workers and not self._producers:
            self._start_producers()
        while any(pr is not None and pr[0].empty() for pr in self._producers):
            time.sleep(0.005)

    def close(self) -> None:
        """Stop the data processes (if any)."""
        _stop([pr for pr in self._producers if pr is not None])
        self._producers = []

    def __enter__(self) -> "StackedSeeds":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _draw(self) -> list[Batch]:
        lo, hi = self.cfg.train_range
        if self.data_workers == 0:
            return [
                self.task.batch(rng, self.cfg.batch_size, lo, hi, offsets=self.cfg.offsets,
                                n_positions=self.model_cfg.n_positions)
                for rng in self.rngs
            ]
        if not self._producers:
            self._start_producers()
        # one item per running worker and step, read even for seeds that have left (keeps them in step)
        items = [pr[0].get() if pr is not None else None for pr in self._producers]
        out: list[Batch] = []
        for k, (w, j) in enumerate(self._slots):
            arrays, state = items[w][j]  # type: ignore[index]
            out.append(Batch(*(torch.from_numpy(a) for a in arrays)))
            self._stream_states[k] = state
        return out

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One batch per model from its own stream, padded to a common length: (K, B, T) each."""
        batches = self._draw()
        T = max(b.inputs.shape[1] for b in batches)
        K, B = self.K, self.cfg.batch_size
        inputs = torch.zeros(K, B, T, dtype=torch.long)
        targets = torch.full((K, B, T), IGNORE_INDEX, dtype=torch.long)
        positions = torch.zeros(K, B, T, dtype=torch.long)
        for k, b in enumerate(batches):
            t = b.inputs.shape[1]
            inputs[k, :, :t] = b.inputs
            targets[k, :, :t] = b.targets
            positions[k, :, :t] = b.positions
            positions[k, :, t:] = b.positions[:, -1:]  # padding repeats the last id (never attended to)
        dev = self.device
        return inputs.to(dev), positions.to(dev), targets.to(dev)

    # -- the stacked forward pass ----------------------------------------------------------------
    def _linear(self, x: torch.Tensor, name: str, bias: bool = True) -> torch.Tensor:
        """x (K, N, d_in) @ W(K, d_out, d_in)^T + b -> (K, N, d_out)."""
        w = self.params[name + ".weight"]
        if bias:
            return torch.baddbmm(self.params[name + ".bias"].unsqueeze(1), x, w.transpose(1, 2))
        return torch.bmm(x, w.transpose(1, 2))

    def _ln(self, x: torch.Tensor, name: str) -> torch.Tensor:
        h = F.layer_norm(x, x.shape[-1:], eps=self.model_cfg.layer_norm_eps)
        return h * self.params[name + ".weight"].unsqueeze(1) + self.params[name + ".bias"].unsqueeze(1)

    def forward(self, inputs: torch.Tensor, positions: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """(K, B, T) ids and positions -> (K, B, T, V) logits (the GPT of :mod:`lengen.model`); with
        ``rows`` (K, B, S), the (K, B, S, V) logits at those positions only, the last block running
        only there (as ``GPT.forward(..., rows=...)``)."""
        K, B, T = inputs.shape
        c = self.model_cfg
        d, H = c.d_model, c.n_head
        dh = d // H
        x = _gather_rows(self.params["wte.weight"], inputs)  # (K, B, T, d)
        if c.pe == "ape":
            x = x + _gather_rows(self.params["wpe.weight"], positions)
        x = x.reshape(K, B * T, d)
        S = T
        for layer in range(c.n_layer):
            p = f"blocks.{layer}."
            h = self._ln(x, p + "ln1")
            q, k, v = self._linear(h, p + "attn.qkv").split(d, dim=2)  # each (K, B*T, d)
            k, v = (z.reshape(K * B, T, H, dh).transpose(1, 2) for z in (k, v))  # (K*B, H, T, dh)
            if rows is None or layer < c.n_layer - 1:
                q = q.reshape(K * B, T, H, dh).transpose(1, 2)  # (K*B, H, T, dh)
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:  # last block: only the queries at the rows
                S = rows.shape[-1]
                flat_rows = rows.reshape(K * B, S)
                q = _take(q.reshape(K * B, T, d), flat_rows).view(K * B, S, H, dh).transpose(1, 2)
                causal = (torch.arange(T, device=x.device) <= flat_rows.unsqueeze(-1)).unsqueeze(1)
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=causal)  # (K*B, H, S, dh)
                x = _take(x.reshape(K * B, T, d), flat_rows).reshape(K, B * S, d)
            y = y.transpose(1, 2).reshape(K, B * S, d)
            x = x + self._linear(y, p + "attn.out")
            h = self._ln(x, p + "ln2")
            h = F.gelu(self._linear(h, p + "mlp.fc"), approximate="tanh")
            x = x + self._linear(h, p + "mlp.proj")
        if rows is not None and c.n_layer == 0:
            S = rows.shape[-1]
            x = _take(x.reshape(K * B, T, d), rows.reshape(K * B, S)).reshape(K, B * S, d)
        x = self._ln(x, "ln_f")
        logits = torch.bmm(x, self.params["wte.weight"].transpose(1, 2))  # tied output layer
        return logits.view(K, B, S, -1)

    def positional_regularizer(self) -> torch.Tensor:
        """Per model (K,): :meth:`lengen.model.GPT.positional_regularizer` of each model."""
        c = self.model_cfg
        P = self.params["wpe.weight"]  # (K, N, d)
        K, N, d = P.shape
        H, dh = c.n_head, d // c.n_head
        causal = torch.ones(N, N, dtype=torch.bool, device=P.device).tril()
        total = torch.zeros(K, device=P.device)
        for layer in range(c.n_layer):
            w = self.params[f"blocks.{layer}.attn.qkv.weight"]  # (K, 3d, d)
            pq = torch.bmm(P, w[:, :d, :].transpose(1, 2)).view(K, N, H, dh)
            pk = torch.bmm(P, w[:, d : 2 * d, :].transpose(1, 2)).view(K, N, H, dh)
            M = torch.einsum("knhe,kmhe->khnm", pq, pk)  # (K, H, N, N): query n, key m
            total = total + (M.pow(2) * causal).sum(dim=(1, 2, 3)) / N
        return total

    # -- training -------------------------------------------------------------------------------
    def losses(self, inputs: torch.Tensor, positions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Per-model loss (K,): mean cross-entropy over supervised tokens (+ regularizer)."""
        K, B, T = targets.shape
        rows, targets = supervised_rows(targets.reshape(K * B, T))  # the positions the loss looks at
        targets = targets.view(K, B, -1)
        with autocast(self.device):
            logits = self.forward(inputs, positions, None if rows is None else rows.view(K, B, -1))
        ce = F.cross_entropy(logits.flatten(0, 2).float(), targets.flatten(), ignore_index=IGNORE_INDEX,
                             reduction="none").view(K, -1)
        count = (targets.view(K, -1) != IGNORE_INDEX).sum(dim=1).clamp(min=1)
        loss = ce.sum(dim=1) / count
        if self.cfg.reg > 0:
            loss = loss + self.cfg.reg * self.positional_regularizer()
        return loss

    def step(self) -> torch.Tensor:
        """One training step of every model; returns the K losses (detached)."""
        inputs, positions, targets = self.next_batch()
        top = max(self.lrs)
        for group in self.opt.param_groups:
            group["lr"] = top * _lr_factor(self.step_count, self.cfg)
        loss = self.losses(inputs, positions, targets)
        self.opt.zero_grad(set_to_none=True)
        loss.sum().backward()  # models do not share parameters: each gets its own gradient
        self._clip()
        if all(lr == top for lr in self.lrs):
            self.opt.step()
        else:
            before = [p.detach().clone() for p in self.params.values()]
            self.opt.step()
            self._scale_updates(before, top)
        self.step_count += 1
        return loss.detach()

    @torch.no_grad()
    def _scale_updates(self, before: list[torch.Tensor], top: float) -> None:
        """Scale model k's AdamW update (taken at the largest rate ``top``) by ``lrs[k] / top``."""
        ratio = torch.tensor([lr / top for lr in self.lrs], device=self.device)
        for p, old in zip(self.params.values(), before):
            p.sub_(old).mul_(ratio.view(-1, *([1] * (p.dim() - 1))).to(p.dtype)).add_(old)

    @torch.no_grad()
    def _clip(self) -> None:
        """Per-model gradient clipping, as ``clip_grad_norm_`` does for one model."""
        grads = [p.grad for p in self.params.values() if p.grad is not None]
        sq = torch.stack([g.float().pow(2).flatten(1).sum(dim=1) for g in grads]).sum(dim=0)  # (K,)
        coef = (self.cfg.grad_clip / (sq.sqrt() + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.view(-1, *([1] * (g.dim() - 1))).to(g.dtype))

    def train(self, steps: int) -> list[torch.Tensor]:
        return [self.step() for _ in range(steps)]

    # -- reading models back --------------------------------------------------------------------
    def state_dict(self, k: int) -> dict[str, torch.Tensor]:
        """Model k's parameters under :class:`~lengen.model.GPT`'s names (with the tied lm_head)."""
        sd = {n: p[k].detach().clone() for n, p in self.params.items()}
        sd["lm_head.weight"] = sd["wte.weight"]
        return sd

    def model(self, k: int) -> GPT:
        """Model k as an ordinary GPT (for evaluation)."""
        m = GPT(self.model_cfg).to(self.device)
        m.load_state_dict(self.state_dict(k))
        return m.eval()


def _take(x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """x (N, T, d), rows (N, S) -> (N, S, d): x[n, rows[n, s]]."""
    return x.gather(1, rows.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


def _gather_rows(table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Row ``ids[k, ...]`` of ``table[k]`` for every k: (K, R, d) and (K, ...) -> (K, ..., d).

    One embedding lookup in the flattened (K * R, d) table (its backward is the fast dense
    embedding backward, unlike advanced indexing's scatter)."""
    K, R, d = table.shape
    offset = (torch.arange(K, device=ids.device) * R).view(K, *([1] * (ids.dim() - 1)))
    return F.embedding(ids + offset, table.reshape(K * R, d))


def max_weight_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    """Largest absolute difference between two state dicts with the same keys."""
    return max(float((a[n].float().cpu() - b[n].float().cpu()).abs().max()) for n in a if n in b)


def _stop(producers: list) -> None:
    """Stop data processes ``(queue, stop event, process)``.

    A process that has put batches on a queue waits, when it exits, until they are read; so the
    queues are drained until the processes have stopped, instead of waiting out a timeout per
    process.  (Letting them drop unread batches instead, ``cancel_join_thread``, can leave half a
    batch in the pipe, and a later read would wait for the rest for ever.)"""
    for _, stop, _ in producers:
        stop.set()
    deadline = time.monotonic() + 10
    for q, _, proc in producers:
        while proc.is_alive() and time.monotonic() < deadline:
            _drain(q)
            proc.join(timeout=0.02)
        if proc.is_alive():
            proc.terminate()
            proc.join()
        q.close()


def _drain(q: Any) -> None:
    """Read and drop whatever a data process's queue holds."""
    import queue as _queue

    try:
        while True:
            q.get_nowait()
    except (_queue.Empty, OSError, ValueError, EOFError):
        pass


def _produce(task_name: str, seeds: list[int], batch_size: int, lo: int, hi: int, offsets: bool, n_positions: int,
             skip: int, q: Any, stop: Any) -> None:
    """Data process: draw the seeds' batches step after step (after skipping ``skip`` steps)."""
    torch.set_num_threads(1)
    task = get_task(task_name)
    rngs = [np.random.default_rng([s, 1]) for s in seeds]

    def draw() -> list:
        return [task.batch(r, batch_size, lo, hi, offsets=offsets, n_positions=n_positions) for r in rngs]

    for _ in range(skip):
        draw()
    import queue as _queue

    while not stop.is_set():
        item = [(tuple(t.numpy() for t in (b.inputs, b.targets, b.positions, b.lengths)), r.bit_generator.state)
                for b, r in zip(draw(), rngs)]
        while not stop.is_set():
            try:
                q.put(item, timeout=0.2)
                break
            except _queue.Full:
                continue
