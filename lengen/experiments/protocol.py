"""The experimental protocol of ``lengen reproduce``, written once for algorithmic tasks and languages.

Vocabulary
----------
* An :class:`Arch` is one model shape and its optimisation budget: layers, heads, width, learning
  rate, maximum steps (training stops earlier as soon as the in-distribution bin is at 100%,
  see :mod:`lengen.train`) and warm-up.
* A **group** is one task with one positional variant: ``ape`` (learned absolute positions),
  ``nope`` (none) or ``reg`` (APE plus the positional-product regularizer, coefficient 1e-4, as in
  the authors' code).  A :class:`GroupPlan` says how the group is run: the candidate architectures,
  the seeds, and the rules below.
* A **run** (:class:`RunSpec`) is one training run: a group, an architecture and a seed.  Its
  directory ``runs/<task>/<pe>-L<layers>H<heads>D<d>-lr<lr>-s<seed>`` is named deterministically
  from these, so that reruns find it (see :func:`run_id`).

The rules (the paper's, as the authors' released code runs them)
--------------------------------------------------
1. **Sweep.**  With more than one candidate, every candidate is trained once (seed
   ``sweep_seed``).  Candidates are ordered from the simplest (fewest layers, then heads, then
   width; then the larger learning rate).  As in the authors' sweep script, candidates after the
   first one that reaches 100% on both [0,50] and [51,100] are not run (``sweep_early_stop``); this
   cannot change the selection, since ties go to the simplest.
2. **Selection.**  Among the candidates with 100% on the in-distribution bin, the one with the
   highest accuracy on the second bin; ties go to the simplest (layers > heads > d, then lr).
   If none fits the training range, the ``fallback`` (the paper: GPT-2 size, 12 layers, 12 heads,
   d 768, lr 1e-4, 60k steps, warm-up 3k) is used; without a fallback, the candidate with the best
   in-distribution accuracy (then second bin, then simplest) is reported, with a note.
3. **Seeds.**  The selected architecture is trained with seeds ``seeds[0], seeds[1], ...``; a run
   is **kept** when its final in-distribution accuracy is >= ``keep_threshold`` (1.0: the paper's
   keep-if-ID-perfect filter; 0 for the fallback, as the authors did for "big" models), and seeds
   are tried in order until ``n_keep`` runs are kept or the seeds run out.  The sweep's run of
   the selected architecture *is* the run of seed ``sweep_seed`` (same directory), so it is not
   trained twice.
4. **Reporting.**  Every seed tried is reported (mean, standard deviation, min and max over all of
   them, and how many the filter discarded); the headline number is the mean over kept seeds, as
   in the paper (over all seeds, flagged, when none was kept).

Seeds really differ: :func:`lengen.train.train` seeds the initialization with ``torch.manual_seed
(seed)``, the training stream with ``numpy.random.default_rng([seed, 1])`` and the test sets from
the seed, so different seeds differ in initialization, training data and test data.  (The
authors' multi-seed script re-seeded through the Hugging Face Trainer, which probably made the
training stream identical across "seeds".  lengen does not do that, and a
test checks it.)

Early stopping (a held-out check, not the test set)
---------------------------------------------------
The authors' script stops a run when its *reported* [0,50] test set is at 100%, so a run that stops
early reports exactly 100% there by construction.  lengen checks a separate held-out set of
training-length examples (``early_stop_examples``, seeded apart from the test sets), so the
reported [0,50] accuracy is measured on examples the stopping rule never saw.  A kept seed thus
passes two independent tests, a stricter filter than the authors'.

Lengths (one protocol for every task)
-------------------------------------
Training lengths are uniform over [0, 50], clamped to the lengths the task has; test bins are
[0, 50], [51, 100], [101, 150] with fresh test examples per seed.  For the algorithmic tasks this is
the authors' protocol.  **For the formal languages it departs from the authors**, whose training
and test ranges differ per language (e.g. ``(aaaa)*`` tested up to 700, Tomita-3 trained up to 100;
their released code); lengen uses the uniform protocol for all 17 and records this in every output
(:data:`LANGUAGE_PROTOCOL_NOTE`).  The languages are trained with the algorithmic optimiser
(AdamW, batch 64, linear decay) rather than the authors' formal-language suite (lr 1e-5, fixed
epochs), so that the protocol is written once.

Profiles
--------
``smoke``  4 tasks (2 algorithmic, 2 languages) x APE/NoPE with the smallest model, a few hundred
           steps, 300 test examples per bin: exercises the whole pipeline in minutes on 2 CPU
           cores (what CI and the notebooks run).  Its numbers are not evidence for anything.
``quick``  every algorithmic task and language x APE/NoPE, one seed, CPU-sized models
           (:data:`QUICK_ARCHS`, justified there), reduced step caps with early stopping; about
           2-3 hours of compute on the 2-core machine, resumable, shardable.
``paper``  the authors' 54-configuration sweep (layers {1,2,4} x heads {1,2,4} x d {16,64,256} x
           lr {1e-3, 1e-4}), up to 30k steps with early stopping, the big-model fallback, 5 kept
           seeds: for a GPU.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

from ..evaluate import DEFAULT_BINS, Bin, bin_name
from ..tasks import get_task, task_names
from ..train import TrainConfig

PE_VARIANTS = ("ape", "nope", "reg")
REG_COEFFICIENT = 1e-4  # the authors' "Reg" runs (APE + regularizer 1e-4)

LANGUAGE_PROTOCOL_NOTE = (
    "Formal languages use lengen's uniform protocol (train lengths [0,50] clamped to the language, "
    "test bins [0,50], [51,100], [101,150], the algorithmic optimiser), a departure from the authors' "
    "per-language length ranges and training setup (see their released code and data)."
)


class ProtocolError(ValueError):
    """An impossible request (unknown profile or PE variant, bad seed list, bad shard, ...)."""


# -------------------------------------------------------------------------------------------------
# Architectures, settings, runs


@dataclass(frozen=True)
class Arch:
    """A model shape with its learning rate and step budget."""

    n_layer: int
    n_head: int
    d_model: int
    lr: float
    steps: int
    warmup: int = 0
    name: str = ""  # e.g. "big" for the GPT-2-size fallback

    @property
    def label(self) -> str:
        return f"L{self.n_layer}H{self.n_head}D{self.d_model}-lr{self.lr:.0e}"

    @property
    def short(self) -> str:
        """Human-readable, e.g. ``1/1/16 lr 1e-03``."""
        tag = f" ({self.name})" if self.name else ""
        return f"{self.n_layer}/{self.n_head}/{self.d_model} lr {self.lr:.0e}{tag}"

    def simplicity(self) -> tuple:
        """Sort key: simplest first (layers, then heads, then width; then the larger lr)."""
        return (self.n_layer, self.n_head, self.d_model, -self.lr)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Arch":
        return cls(**d)


@dataclass(frozen=True)
class Settings:
    """Protocol-wide settings shared by the runs of a group."""

    train_range: Bin = (0, 50)
    bins: tuple[Bin, ...] = tuple(DEFAULT_BINS)
    batch_size: int = 64
    eval_every: int = 500
    eval_examples: int = 2000
    early_stop_examples: int = 500
    checkpoint_every: int = 1000
    reg: float = REG_COEFFICIENT

    def to_dict(self) -> dict:
        d = asdict(self)
        d["train_range"] = list(self.train_range)
        d["bins"] = [list(b) for b in self.bins]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Settings":
        d = dict(d)
        d["train_range"] = tuple(d["train_range"])
        d["bins"] = tuple(tuple(b) for b in d["bins"])
        return cls(**d)


def run_id(task: str, pe: str, arch: Arch, seed: int) -> str:
    """The run's directory under ``runs/``: ``<task>/<pe>-L..H..D..-lr..-s<seed>`` (deterministic)."""
    return f"{task}/{pe}-{arch.label}-s{seed}"


@dataclass(frozen=True)
class RunSpec:
    """One training run."""

    task: str
    pe: str
    arch: Arch
    seed: int
    settings: Settings

    @property
    def run_id(self) -> str:
        return run_id(self.task, self.pe, self.arch, self.seed)

    def train_config(self, device: str = "auto") -> TrainConfig:
        s = self.settings
        return TrainConfig(
            task=self.task,
            n_layer=self.arch.n_layer,
            n_head=self.arch.n_head,
            d_model=self.arch.d_model,
            pe="nope" if self.pe == "nope" else "ape",
            lr=self.arch.lr,
            steps=self.arch.steps,
            warmup=self.arch.warmup,
            batch_size=s.batch_size,
            train_range=tuple(s.train_range),
            bins=[tuple(b) for b in s.bins],
            eval_every=s.eval_every,
            eval_examples=s.eval_examples,
            early_stop_examples=s.early_stop_examples,
            checkpoint_every=s.checkpoint_every,
            reg=s.reg if self.pe == "reg" else 0.0,
            offsets=True,
            seed=self.seed,
            device=device,
        )


# -------------------------------------------------------------------------------------------------
# Groups


@dataclass(frozen=True)
class GroupPlan:
    """How one task x PE variant is run (see the module docstring for the rules)."""

    task: str
    pe: str
    candidates: tuple[Arch, ...]
    seeds: tuple[int, ...]
    n_keep: int
    settings: Settings = Settings()
    keep_threshold: float = 1.0
    fallback: Arch | None = None
    fallback_threshold: float = 0.0
    sweep_early_stop: bool = True

    @property
    def key(self) -> str:
        return f"{self.task}/{self.pe}"

    @property
    def sweep_seed(self) -> int:
        return self.seeds[0]

    @property
    def has_sweep(self) -> bool:
        return len(self.candidates) > 1

    def spec(self, arch: Arch, seed: int) -> RunSpec:
        return RunSpec(self.task, self.pe, arch, seed, self.settings)

    def to_dict(self) -> dict:
        return {
            "task": self.task,
            "pe": self.pe,
            "candidates": [a.to_dict() for a in self.candidates],
            "seeds": list(self.seeds),
            "n_keep": self.n_keep,
            "settings": self.settings.to_dict(),
            "keep_threshold": self.keep_threshold,
            "fallback": self.fallback.to_dict() if self.fallback else None,
            "fallback_threshold": self.fallback_threshold,
            "sweep_early_stop": self.sweep_early_stop,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "GroupPlan":
        return cls(
            task=d["task"],
            pe=d["pe"],
            candidates=tuple(Arch.from_dict(a) for a in d["candidates"]),
            seeds=tuple(d["seeds"]),
            n_keep=d["n_keep"],
            settings=Settings.from_dict(d["settings"]),
            keep_threshold=d["keep_threshold"],
            fallback=Arch.from_dict(d["fallback"]) if d.get("fallback") else None,
            fallback_threshold=d["fallback_threshold"],
            sweep_early_stop=d["sweep_early_stop"],
        )

    def static_runs(self) -> list[RunSpec]:
        """The runs known before any result: the whole sweep (or the seeds of the fixed
        architecture, up to ``n_keep``).  Runs decided later (seeds after the sweep, extra
        attempts, the fallback) are not included."""
        if self.has_sweep:
            return [self.spec(a, self.sweep_seed) for a in self.candidates]
        return [self.spec(self.candidates[0], s) for s in self.seeds[: self.n_keep]]


def accuracy(result: Mapping[str, Any], b: Bin) -> float:
    """A result's accuracy (0..1) in bin ``b``."""
    return float(result["accuracy"][bin_name(tuple(b))])


@dataclass
class SeedRun:
    seed: int
    run_id: str
    result: dict | None
    kept: bool | None  # None while not finished


@dataclass
class GroupStatus:
    """Where a group stands, given the finished results (see :func:`group_status`)."""

    plan: GroupPlan
    stage: str  # "sweep", "seeds" or "done"
    ready: list[RunSpec]
    selected: Arch | None
    threshold: float
    selection: str  # how the architecture was chosen, in words
    sweep: list[tuple[Arch, str, dict | None]] = field(default_factory=list)  # (arch, run id, result)
    sweep_skipped: list[Arch] = field(default_factory=list)
    seeds: list[SeedRun] = field(default_factory=list)
    pending: int = 0

    @property
    def complete(self) -> bool:
        return self.stage == "done"

    @property
    def kept(self) -> list[SeedRun]:
        return [s for s in self.seeds if s.kept]

    @property
    def discarded(self) -> list[SeedRun]:
        return [s for s in self.seeds if s.kept is False]

    @property
    def finished(self) -> list[SeedRun]:
        return [s for s in self.seeds if s.result is not None]


def select_architecture(
    candidates: Sequence[tuple[Arch, Mapping[str, Any]]], bins: Sequence[Bin]
) -> tuple[Arch | None, bool]:
    """The paper's selection rule.  ``candidates``: (arch, result) pairs.  Returns (arch, fitted):
    among the results with 100% on ``bins[0]``, the highest accuracy on ``bins[1]``, ties to the
    simplest architecture; ``fitted`` is False (and arch None) when none reached 100%."""
    b_id = bins[0]
    b_next = bins[1] if len(bins) > 1 else bins[0]
    fitted = [(a, r) for a, r in candidates if accuracy(r, b_id) >= 1.0]
    if not fitted:
        return None, False
    best = min(fitted, key=lambda ar: (-accuracy(ar[1], b_next), ar[0].simplicity()))
    return best[0], True


def group_status(
    gp: GroupPlan,
    results: Mapping[str, Mapping[str, Any]],
    busy: Iterable[str] = (),
) -> GroupStatus:
    """Apply the rules to the finished ``results`` (run id -> result dict).  ``busy``: run ids
    running now (or failed in this session): they are not proposed again and count as pending.

    ``ready`` lists the runs that can start now; ``stage == "done"`` when nothing more is needed.
    """
    busy = set(busy)
    bins = gp.settings.bins
    b_id = bins[0]
    b_next = bins[1] if len(bins) > 1 else bins[0]
    cands = sorted(gp.candidates, key=Arch.simplicity)

    sweep_rows: list[tuple[Arch, str, dict | None]] = []
    skipped: list[Arch] = []
    if len(cands) > 1:
        needed = cands
        if gp.sweep_early_stop:
            for i, a in enumerate(cands):
                r = results.get(run_id(gp.task, gp.pe, a, gp.sweep_seed))
                if r is not None and accuracy(r, b_id) >= 1.0 and accuracy(r, b_next) >= 1.0:
                    needed, skipped = cands[: i + 1], cands[i + 1 :]
                    break
        for a in needed:
            rid = run_id(gp.task, gp.pe, a, gp.sweep_seed)
            r = results.get(rid)
            sweep_rows.append((a, rid, dict(r) if r is not None else None))
        missing = [a for a, rid, r in sweep_rows if r is None]
        if missing:
            ready = [gp.spec(a, gp.sweep_seed) for a in missing if run_id(gp.task, gp.pe, a, gp.sweep_seed) not in busy]
            pending = len(missing) - len(ready)
            return GroupStatus(gp, "sweep", ready, None, gp.keep_threshold,
                               f"sweep: {len(needed) - len(missing)} of {len(needed)} configurations finished",
                               sweep_rows, skipped, pending=pending)
        chosen, fitted = select_architecture([(a, r) for a, _, r in sweep_rows], bins)  # type: ignore[misc]
        n_fit = sum(1 for _, _, r in sweep_rows if accuracy(r, b_id) >= 1.0)  # type: ignore[arg-type]
        if fitted:
            selected, threshold = chosen, gp.keep_threshold
            how = (f"sweep of {len(cands)} configurations ({len(sweep_rows)} run, {n_fit} at 100% on "
                   f"{bin_name(b_id)}): highest {bin_name(b_next)}, ties to the simplest")
        elif gp.fallback is not None:
            selected, threshold = gp.fallback, gp.fallback_threshold
            how = f"no configuration of the sweep reached 100% on {bin_name(b_id)}: fallback {gp.fallback.short}"
        else:
            selected = min(
                (a for a, _, _ in sweep_rows),
                key=lambda a: (-accuracy(results[run_id(gp.task, gp.pe, a, gp.sweep_seed)], b_id),
                               -accuracy(results[run_id(gp.task, gp.pe, a, gp.sweep_seed)], b_next),
                               a.simplicity()),
            )
            threshold = gp.keep_threshold
            how = (f"no configuration reached 100% on {bin_name(b_id)} and there is no fallback: "
                   "the best in-distribution one is reported")
    else:
        selected, threshold = cands[0], gp.keep_threshold
        how = "fixed architecture (no sweep in this profile)"

    ready: list[RunSpec] = []
    seeds: list[SeedRun] = []
    n_kept = pending = 0
    for s in gp.seeds:
        if n_kept >= gp.n_keep:
            break
        rid = run_id(gp.task, gp.pe, selected, s)
        r = results.get(rid)
        if r is None:
            if n_kept + pending < gp.n_keep:
                if rid not in busy:
                    ready.append(gp.spec(selected, s))
                pending += 1
                seeds.append(SeedRun(s, rid, None, None))
            continue
        kept = accuracy(r, b_id) >= threshold
        n_kept += kept
        seeds.append(SeedRun(s, rid, dict(r), kept))
    stage = "seeds" if pending else "done"
    return GroupStatus(gp, stage, ready, selected, threshold, how, sweep_rows, skipped, seeds, pending)


# -------------------------------------------------------------------------------------------------
# Profiles


SMOKE_TASKS = ("bin_majority", "parity", "tomita1", "aa_star")

#: smoke: the smallest model everywhere (1 layer, 1 head, d 16: 150 steps/s on one core), a few
#: hundred steps.  bin_majority and Tomita-1 are learned in that budget; parity and (aa)* with APE
#: are not, which is the point of showing them: the smoke profile checks the pipeline, not the theory.
SMOKE_STEPS = {"bin_majority": 1000, "parity": 400, "tomita1": 500, "aa_star": 800}


def _arch(layers: int, heads: int, d: int, lr: float, steps: int, warmup: int = 0, name: str = "") -> Arch:
    return Arch(layers, heads, d, lr, steps, warmup, name)


#: quick: CPU-sized architectures per task and PE (layers, heads, d, lr, max steps).
#:
#: Starting point: the authors' selected architectures (from their released result files); where those are
#: affordable on one CPU core they are used, otherwise the closest size that cpu-calibration.md
#: shows learning the task (steps/s at one thread, batch 64):
#:
#: * bin_majority: the authors' 1/1/16 lr 1e-3 for both PEs (150 steps/s; 100% after ~1,000 steps).
#: * bin_majority_interleave: the authors' 2/4/256 lr 1e-4 (APE) would need tens of thousands of
#:   steps at ~3 steps/s, and NoPE needed GPT-2 size; lengen uses 2/4/64 lr 1e-3 (4 heads kept
#:   for the 3 interleaved counts), 4,000 steps, for both.
#: * majority: APE the authors' 1/2/256 lr 1e-3 (7 steps/s; calibration: 98/91/86 after 2,524
#:   steps; 2/2/64 does *not* learn it); NoPE the authors' 1/1/64, lr 1e-3.  3,000 steps.
#: * sort: the authors' 1/2/256 lr 1e-4 runs at 3.6 steps/s with a slow lr; 2/2/64 lr 1e-3 reaches
#:   100% in-distribution after ~5,300 steps (14 steps/s): 6,000 steps, both PEs.
#: * unique_copy: the authors' 2/1/64 lr 1e-3 (APE); NoPE's 4/4/256 (1 step/s) is unaffordable, so
#:   NoPE uses the same 2/1/64 (the comparison then isolates the positional encoding).  The loss
#:   plateaus until ~3,500 steps (calibration): 6,000 steps.
#: * repeat_copy, parity, addition: the authors needed 4/4/256, 4/2/256 or GPT-2 size, at 1-2
#:   steps/s or worse on CPU.  All three are predicted to fail; lengen trains 2/2/64 lr 1e-3 for
#:   3,000 steps, which does not fit the training range (calibration), and the verdicts say so.
#:   Faithful numbers for these need the GPU profile.
#: * languages: 2/2/64 lr 1e-3 (inside the authors' language grid: layers {1,2,4}, heads {1,2,4},
#:   d {32,64}), 3,000 steps; regular languages at this size usually reach 100% in-distribution
#:   far sooner and stop early.
QUICK_ARCHS: dict[str, dict[str, Arch]] = {
    "bin_majority": {"ape": _arch(1, 1, 16, 1e-3, 3000), "nope": _arch(1, 1, 16, 1e-3, 3000)},
    "bin_majority_interleave": {"ape": _arch(2, 4, 64, 1e-3, 4000), "nope": _arch(2, 4, 64, 1e-3, 4000)},
    "majority": {"ape": _arch(1, 2, 256, 1e-3, 3000), "nope": _arch(1, 1, 64, 1e-3, 3000)},
    "sort": {"ape": _arch(2, 2, 64, 1e-3, 6000), "nope": _arch(2, 2, 64, 1e-3, 6000)},
    "unique_copy": {"ape": _arch(2, 1, 64, 1e-3, 6000), "nope": _arch(2, 1, 64, 1e-3, 6000)},
    "repeat_copy": {"ape": _arch(2, 2, 64, 1e-3, 3000), "nope": _arch(2, 2, 64, 1e-3, 3000)},
    "parity": {"ape": _arch(2, 2, 64, 1e-3, 3000), "nope": _arch(2, 2, 64, 1e-3, 3000)},
    "addition": {"ape": _arch(2, 2, 64, 1e-3, 3000), "nope": _arch(2, 2, 64, 1e-3, 3000)},
}
QUICK_LANGUAGE_ARCH = _arch(2, 2, 64, 1e-3, 3000)

#: paper: the authors' 54-configuration sweep and their GPT-2-size fallback.
PAPER_SWEEP: tuple[Arch, ...] = tuple(
    _arch(layers, heads, d, lr, 30_000)
    for layers, heads, d, lr in itertools.product((1, 2, 4), (1, 2, 4), (16, 64, 256), (1e-3, 1e-4))
)
PAPER_BIG = _arch(12, 12, 768, 1e-4, 60_000, warmup=3000, name="big")
PAPER_MAX_ATTEMPTS = 25  # seeds tried per group before giving up (the authors' worst logged case: 21)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    tasks: tuple[str, ...]
    pes: tuple[str, ...]
    n_seeds: int
    settings: Settings
    extra_attempts: bool = False  # keep trying seeds until n_keep are kept (paper)
    fallback: Arch | None = None

    def candidates(self, task: str, pe: str) -> tuple[Arch, ...]:
        base = "ape" if pe == "reg" else pe
        if self.name == "smoke":
            return (_arch(1, 1, 16, 1e-3, SMOKE_STEPS.get(task, 500)),)
        if self.name == "quick":
            if get_task(task).kind == "algorithmic" and task in QUICK_ARCHS:
                return (QUICK_ARCHS[task][base],)
            return (QUICK_LANGUAGE_ARCH,)
        if self.name == "paper":
            return PAPER_SWEEP
        raise ProtocolError(f"profile {self.name!r} has no architecture rule")


def _main_tasks() -> tuple[str, ...]:
    langs = sorted(task_names("language"), key=lambda n: get_task(n).figure_index)  # type: ignore[attr-defined]
    return tuple(task_names("algorithmic")) + tuple(langs)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        "smoke",
        "4 tasks x APE/NoPE, smallest model, a few hundred steps: a pipeline check for CI and notebooks "
        "(minutes on 2 CPU cores); its numbers are not evidence",
        SMOKE_TASKS,
        ("ape", "nope"),
        1,
        Settings(eval_every=100, eval_examples=300, early_stop_examples=200, checkpoint_every=200),
    ),
    "quick": Profile(
        "quick",
        "every algorithmic task and language x APE/NoPE, CPU-sized models, <= 3,000-6,000 steps with "
        "early stopping, 1 seed: about 2-3 hours on the 2-core CPU machine, resumable and shardable",
        (),  # filled lazily: every algorithmic task and language
        ("ape", "nope"),
        1,
        Settings(eval_every=250, eval_examples=2000, early_stop_examples=500, checkpoint_every=500),
    ),
    "paper": Profile(
        "paper",
        "the authors' protocol: 54-configuration sweep, up to 30k steps with early stopping, GPT-2-size "
        "fallback (60k steps), 5 kept seeds (keep if 100% in-distribution; threshold 0 for the fallback): "
        "for a GPU",
        (),
        ("ape", "nope"),
        5,
        Settings(eval_every=3000, eval_examples=2000, early_stop_examples=2000, checkpoint_every=3000),
        extra_attempts=True,
        fallback=PAPER_BIG,
    ),
}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise ProtocolError(f"unknown profile {name!r}; profiles: {', '.join(PROFILES)}")
    p = PROFILES[name]
    if not p.tasks:
        p = replace(p, tasks=_main_tasks())
    return p


def parse_tasks(text: str | None, default: Sequence[str]) -> list[str]:
    """``"a,b"`` -> task names; ``algorithmic``/``language``/``counter`` expand to every task of that kind."""
    if not text:
        return list(default)
    out: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        names = task_names(part) if part in ("algorithmic", "language", "counter") else [get_task(part).name]
        out.extend(n for n in names if n not in out)
    if not out:
        raise ProtocolError("no task given; write --tasks a,b (or algorithmic, language)")
    return out


def parse_pes(text: str | None, default: Sequence[str]) -> list[str]:
    if not text:
        return list(default)
    out = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        if part not in PE_VARIANTS:
            raise ProtocolError(f"unknown positional variant {part!r}; use ape, nope or reg (APE + regularizer 1e-4)")
        if part not in out:
            out.append(part)
    if not out:
        raise ProtocolError("no positional variant given; write --pe ape,nope[,reg]")
    return out


def parse_seeds(text: str | int | None, default: int) -> tuple[int, ...] | int:
    """``"5"`` -> 5 (a count); ``"0,3,7"`` -> (0, 3, 7) (exactly these seeds)."""
    if text is None or text == "":
        return default
    if isinstance(text, int):
        n = text
    elif "," in str(text):
        try:
            seeds = tuple(int(s) for s in str(text).split(",") if s.strip())
        except ValueError:
            raise ProtocolError(f"cannot read seeds {text!r}; write a count (--seeds 3) or a list (--seeds 0,3,7)") from None
        if len(set(seeds)) != len(seeds) or any(s < 0 for s in seeds):
            raise ProtocolError(f"seeds must be distinct and >= 0, got {text!r}")
        return seeds
    else:
        try:
            n = int(text)
        except ValueError:
            raise ProtocolError(f"cannot read seeds {text!r}; write a count (--seeds 3) or a list (--seeds 0,3,7)") from None
    if n < 1:
        raise ProtocolError(f"need at least one seed, got {n}")
    return n


# -------------------------------------------------------------------------------------------------
# Plans


@dataclass(frozen=True)
class Plan:
    """The groups of one invocation (a profile, tasks, PE variants, seeds)."""

    profile: str
    groups: tuple[GroupPlan, ...]

    def keys(self) -> list[str]:
        return [g.key for g in self.groups]

    def static_runs(self) -> list[RunSpec]:
        return [r for g in self.groups for r in g.static_runs()]

    def to_dict(self) -> dict:
        return {"profile": self.profile, "groups": [g.to_dict() for g in self.groups]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Plan":
        return cls(d["profile"], tuple(GroupPlan.from_dict(g) for g in d["groups"]))

    def fingerprint(self) -> str:
        """A short hash of the plan (same tasks, variants, architectures, seeds and settings)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def build_plan(
    profile: str | Profile,
    tasks: Sequence[str] | None = None,
    pes: Sequence[str] | None = None,
    seeds: int | Sequence[int] | None = None,
) -> Plan:
    """The groups of a profile: every task x PE variant, in a fixed order (tasks as given, or the
    profile's: algorithmic tasks in the paper's order, then languages 1-17; variants ape, nope, reg)."""
    prof = get_profile(profile) if isinstance(profile, str) else profile
    task_list = list(tasks) if tasks else list(prof.tasks)
    pe_list = [p for p in PE_VARIANTS if p in (pes or prof.pes)]
    if seeds is None:
        seeds = prof.n_seeds
    if isinstance(seeds, int):
        n_keep = seeds
        attempt = tuple(range(max(PAPER_MAX_ATTEMPTS, 5 * seeds))) if prof.extra_attempts else tuple(range(seeds))
    else:
        attempt, n_keep = tuple(seeds), len(seeds)
    groups = []
    for t in task_list:
        task = get_task(t)
        for b in (prof.settings.train_range, *prof.settings.bins):
            task.feasible_lengths(*b)  # fail early on a range the task cannot fill
        for pe in pe_list:
            groups.append(GroupPlan(
                task=task.name, pe=pe, candidates=tuple(sorted(prof.candidates(task.name, pe), key=Arch.simplicity)),
                seeds=attempt, n_keep=n_keep, settings=prof.settings, keep_threshold=1.0,
                fallback=prof.fallback, fallback_threshold=0.0,
            ))
    return Plan(prof.name, tuple(groups))


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/4"`` -> (2, 4) (1-based)."""
    if not text:
        return None
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ProtocolError(f"cannot read shard {text!r}; write K/N with 1 <= K <= N, e.g. --shard 1/2") from None
    if not 1 <= k <= n:
        raise ProtocolError(f"impossible shard {text!r}; need 1 <= K <= N")
    return k, n


def shard_assignment(plan: Plan, n: int) -> dict[str, int]:
    """Group key -> shard (1..n): a deterministic, cost-balanced partition of the groups.

    Whole groups go to one shard, because a group's later runs depend on its earlier results
    (selection, seed filter).  Groups are placed longest first (estimated cost, ties by position in
    the plan) on the least-loaded shard (ties to the lowest shard number)."""
    costs = [(group_cost(g), i, g.key) for i, g in enumerate(plan.groups)]
    costs.sort(key=lambda c: (-c[0], c[1]))
    load = [0.0] * n
    out: dict[str, int] = {}
    for cost, _, key in costs:
        k = min(range(n), key=lambda j: (load[j], j))
        load[k] += cost
        out[key] = k + 1
    return out


def shard_plan(plan: Plan, k: int, n: int) -> Plan:
    """The groups of shard k of n (1-based), in plan order."""
    assign = shard_assignment(plan, n)
    return Plan(plan.profile, tuple(g for g in plan.groups if assign[g.key] == k))


# -------------------------------------------------------------------------------------------------
# Cost model (cpu-calibration.md): seconds on one core of the 2-core CPU machine, one thread per run


#: Per-step time = overhead + multiply-accumulates / rate.  Fitted to the measured steps/s at one
#: thread, batch 64 (cpu-calibration.md): (1,1,16) 150 steps/s; (2,2,64) 25-28 on short tasks and
#: 13-15 on copy/sort; (1,2,256) 7 (majority) and 3.6 (sort); (4,2,256) 2; (4,4,256) 1.  The model
#: reproduces these within ~30% (conservatively).  Timings on the shared machine vary up to 2x.
STEP_OVERHEAD_S = 0.004
LAYER_OVERHEAD_S = 0.0015
MACS_PER_S_SMALL = 34e9  # d <= 64
MACS_PER_S_LARGE = 60e9  # d >= 256
LOAD_FACTOR = 2.0  # what outside load did to timings on the shared machine


#: Paper-size runs on a GPU: two runs sharing one H100 trained at 67 steps/s (4/4/256, copy with
#: repeats) and 76 steps/s (2/1/64, unique copy) each, checks included (results/copy_gpu, lengen
#: 0.1.0).  At these sizes a GPU step costs about the same whatever the model, so the slower rate
#: bounds any run's step time there.  (benchmarks/README.md measured smaller models alone on an
#: H100 at 80 to 145 steps/s, and 4 runs at once at 2.8x to 4.0x one run's throughput.)
GPU_STEPS_PER_S = 67.0
GPU_RUNS_MEASURED = 2  # runs that shared the GPU in that measurement


def _rate(d: int) -> float:
    if d <= 64:
        return MACS_PER_S_SMALL
    if d >= 256:
        return MACS_PER_S_LARGE
    f = (math.log2(d) - 6) / 2
    return MACS_PER_S_SMALL + f * (MACS_PER_S_LARGE - MACS_PER_S_SMALL)


def _macs_per_token(arch: Arch, T: int, vocab: int) -> float:
    d = arch.d_model
    return arch.n_layer * (12 * d * d + T * d) + vocab * d


def run_cost(spec: RunSpec) -> float:
    """Estimated seconds for a run on one CPU core: every step up to the cap (early stopping usually
    ends sooner), every early-stopping check, and the final evaluation.  Per run the step-time model
    can be off by up to about 1.5x either way (at lengen 0.2.0 it is low for the copying tasks and
    high for the majority tasks, whose last block runs at two positions only); summed over a
    profile it errs high, because most runs stop before their cap (results/quick: 83 minutes of
    run time against 130 estimated)."""
    return _run_cost(spec.task, spec.pe, spec.arch, spec.settings)


@functools.lru_cache(maxsize=4096)
def _run_cost(task_name: str, pe: str, a: Arch, s: Settings) -> float:
    task = get_task(task_name)
    V = len(task.vocab)
    lo, hi = s.train_range
    T_train = task.sequence_length(max(task.feasible_lengths(lo, hi)))  # batches pad to their longest
    train_macs = 3 * s.batch_size * T_train * _macs_per_token(a, T_train, V)
    step_s = STEP_OVERHEAD_S + LAYER_OVERHEAD_S * a.n_layer + train_macs / _rate(a.d_model)
    if pe == "reg":
        N = task.n_positions
        step_s += 3 * a.n_layer * (2 * N * a.d_model * a.d_model + N * N * a.d_model) / _rate(a.d_model)
    # evaluation: forward only (1/3 of a training step per token), examples sorted by length
    def eval_s(lo_: int, hi_: int, n: int) -> float:
        lengths = task.feasible_lengths(lo_, hi_)
        T = task.sequence_length(lengths[len(lengths) // 2])
        return n * T * _macs_per_token(a, T, V) / _rate(a.d_model) + 0.002 * (n / 256 + 1)
    id_lo = max(lo, task.min_length)
    checks = a.steps // max(1, s.eval_every)
    total = a.steps * step_s + checks * eval_s(id_lo, hi, s.early_stop_examples)
    total += sum(eval_s(b[0], b[1], s.eval_examples) for b in s.bins)
    return total + 2.0  # process start-up, test-set generation, checkpoints


def group_cost(gp: GroupPlan) -> float:
    """Estimated seconds of a group's runs known in advance (see :meth:`GroupPlan.static_runs`)."""
    return sum(run_cost(r) for r in gp.static_runs())


def makespan(costs: Sequence[float], workers: int) -> float:
    """Wall time of running jobs of these costs on ``workers`` parallel workers, longest first."""
    load = [0.0] * max(1, workers)
    for c in sorted(costs, reverse=True):
        k = min(range(len(load)), key=lambda j: load[j])
        load[k] += c
    return max(load) if load else 0.0
