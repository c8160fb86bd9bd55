"""The task interface shared by algorithmic tasks and formal languages.

Conventions
-----------
* A task's **length** counts input symbols only (no ``<bos>``, ``<sep>``, answers or ``<eos>``);
  for ``addition`` it counts both operands plus ``+`` and ``=``, as in the paper.
* An :class:`Example` is what the model sees: ``inputs`` (token strings fed at positions
  0, 1, ..., T-1) and ``targets`` (the token the model must predict at each position, ``None``
  where the position is not supervised).  Algorithmic tasks use the language-modelling framing
  (the target at position t is input t+1; only the answer and ``<eos>`` are supervised); formal
  languages use the per-position "character prediction" framing (every position, ``<bos>``
  included, has a label token describing the prefix read so far).
* Positions are 0-based in tensors.  A training example may be shifted by a random
  **position offset** ``o``: its position ids are ``o, o+1, ..., o+T-1``, with ``o`` uniform in
  ``[0, n_positions - T]``.  Evaluation uses offset 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

PAD, BOS, SEP, EOS = "<pad>", "<bos>", "<sep>", "<eos>"
IGNORE_INDEX = -100


class TaskError(ValueError):
    """A request a task cannot satisfy (unknown token, impossible length range, ...)."""


@dataclass(frozen=True)
class Prediction:
    """What the theory predicts for a task: length generalization with APE / with NoPE.

    ``source`` says where the flags come from: ``"paper"`` (the paper's table), ``"reasoned"``
    (lengen's own argument, for tasks the paper gives no flag) or ``"crasp"`` (computed from
    lengen's C-RASP library by :mod:`lengen.predictions`).
    """

    ape: bool
    nope: bool
    reason: str
    source: str = "paper"


@dataclass
class Example:
    """One sequence: ``inputs[t]`` is fed at position t, ``targets[t]`` is predicted there (None = unsupervised)."""

    inputs: list[str]
    targets: list[str | None]
    length: int

    def __post_init__(self) -> None:
        if len(self.inputs) != len(self.targets):
            raise ValueError("inputs and targets must have the same length")


@dataclass
class Batch:
    """A padded batch of examples as tensors.

    inputs:    (B, T) token ids, padded with the pad id
    targets:   (B, T) target ids, ``IGNORE_INDEX`` where unsupervised or padding
    positions: (B, T) absolute position ids (offset + 0, 1, ...; padding repeats the last id)
    lengths:   (B,)   task lengths (input symbols) of each example
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    positions: torch.Tensor
    lengths: torch.Tensor

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(*(t.to(device) for t in (self.inputs, self.targets, self.positions, self.lengths)))


@dataclass
class Vocab:
    """A list of token strings; ids are list indices.  ``<pad>`` is always id 0."""

    tokens: list[str]
    stoi: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        if self.tokens[0] != PAD:
            raise ValueError("<pad> must be token 0")
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("duplicate tokens in vocabulary")
        self.stoi = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Token strings to ids; an unknown token raises :class:`TaskError` naming it."""
        stoi = self.stoi
        try:
            return [stoi[t] for t in tokens]
        except (KeyError, TypeError):  # find the culprit for the message
            pass
        out = []
        for k, t in enumerate(tokens):
            if t not in self.stoi:
                raise TaskError(
                    f"token {t!r} (at index {k}) is not in the vocabulary; "
                    f"known tokens: {' '.join(self.tokens[:40])}{' ...' if len(self.tokens) > 40 else ''}"
                )
            out.append(self.stoi[t])
        return out

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.tokens[int(i)] for i in ids]


class Task:
    """Base class.  Subclasses set the class attributes and implement :meth:`example` and
    :meth:`feasible`.

    Attributes
    ----------
    name:         registry name (as in the authors' code for algorithmic tasks)
    kind:         ``"algorithmic"``, ``"language"`` or ``"counter"``
    title:        human-readable name
    vocab:        :class:`Vocab` of every token that can appear in inputs or targets
    min_length:   smallest length the task admits (training range is clamped to it)
    max_length:   largest evaluation length; ``n_positions`` is sized for it
    prediction:   the theory's :class:`Prediction`
    """

    name: str = ""
    kind: str = ""
    title: str = ""
    min_length: int = 0
    max_length: int = 150
    prediction: Prediction
    vocab: Vocab

    # -- to implement -------------------------------------------------------------------
    def example(self, rng: np.random.Generator, length: int) -> Example:
        """Draw one example of exactly this length (raise TaskError if infeasible)."""
        raise NotImplementedError

    def feasible(self, length: int) -> bool:
        """Whether an example of this length exists."""
        return length >= self.min_length

    def sequence_length(self, length: int) -> int:
        """Number of model positions (len(inputs)) used by an example of this length."""
        raise NotImplementedError

    # -- shared machinery -----------------------------------------------------------------
    @property
    def n_positions(self) -> int:
        """Positional-embedding rows needed to evaluate every length up to ``max_length``."""
        return max(self.sequence_length(n) for n in range(self.min_length, self.max_length + 1) if self.feasible(n))

    def feasible_lengths(self, lo: int, hi: int) -> list[int]:
        """Feasible lengths in the inclusive range [lo, hi]; raises TaskError if there are none."""
        if lo > hi:
            raise TaskError(f"impossible length range [{lo}, {hi}]: the lower end exceeds the upper end")
        lengths = [n for n in range(max(lo, self.min_length), hi + 1) if self.feasible(n)]
        if not lengths:
            raise TaskError(
                f"task {self.name!r} has no example with length in [{lo}, {hi}]; "
                f"its lengths start at {self.min_length}"
            )
        return lengths

    def sample(self, rng: np.random.Generator, lo: int, hi: int, n: int) -> list[Example]:
        """``n`` examples with lengths drawn uniformly from the feasible lengths in [lo, hi]."""
        lengths = self.feasible_lengths(lo, hi)
        k = len(lengths)
        # rng.integers(0, k) is the draw rng.choice(lengths) makes (same number, same stream
        # state; tests/test_tasks.py checks it), without choice()'s conversion of the list
        return [self.example(rng, lengths[int(rng.integers(0, k, dtype=np.int64))]) for _ in range(n)]

    def collate(
        self,
        examples: Sequence[Example],
        rng: np.random.Generator | None = None,
        n_positions: int | None = None,
    ) -> Batch:
        """Pad examples into a :class:`Batch`.  With ``rng``, each example gets a random
        position offset in ``[0, n_positions - T]`` (the paper's training trick); without, offset 0."""
        n_positions = n_positions or self.n_positions
        T = max(len(e.inputs) for e in examples)
        B = len(examples)
        # filled as numpy arrays and handed to torch once: one small tensor per example made the
        # batch cost as much as a small model's training step
        inputs = np.zeros((B, T), dtype=np.int64)
        targets = np.full((B, T), IGNORE_INDEX, dtype=np.int64)
        positions = np.zeros((B, T), dtype=np.int64)
        stoi = self.vocab.stoi
        for b, e in enumerate(examples):
            t = len(e.inputs)
            if t > n_positions:
                raise TaskError(
                    f"an example of length {e.length} needs {t} positions but the model has {n_positions}; "
                    f"train a model with more positions or evaluate shorter lengths"
                )
            inputs[b, :t] = self.vocab.encode(e.inputs)
            targets[b, :t] = [IGNORE_INDEX if y is None else stoi[y] for y in e.targets]
            offset = int(rng.integers(0, n_positions - t + 1)) if rng is not None else 0
            positions[b, :t] = np.arange(offset, offset + t)
            positions[b, t:] = offset + t - 1
        lengths = np.array([e.length for e in examples], dtype=np.int64)
        return Batch(*(torch.from_numpy(a) for a in (inputs, targets, positions, lengths)))

    def batch(
        self,
        rng: np.random.Generator,
        batch_size: int,
        lo: int,
        hi: int,
        offsets: bool = False,
        n_positions: int | None = None,
    ) -> Batch:
        """Sample and collate a batch; ``offsets=True`` applies random position offsets."""
        return self.collate(self.sample(rng, lo, hi, batch_size), rng if offsets else None, n_positions)

    def decode(self, ids: Sequence[int]) -> list[str]:
        """Token ids to token strings."""
        return self.vocab.decode(ids)

    def predicted(self) -> Prediction:
        """The theory's prediction computed from lengen's C-RASP library (see :mod:`lengen.predictions`)."""
        from ..predictions import predict

        return predict(self.name)

    def info(self) -> dict:
        """A JSON-ready summary of the task (used by ``lengen tasks --json``).

        ``predicted`` is computed from the C-RASP library; ``stated`` holds the flags as the paper
        states them (or, for the counter languages, as reasoned in lengen), for comparison."""
        computed = self.predicted()
        return {
            "name": self.name,
            "kind": self.kind,
            "title": self.title,
            "vocab_size": len(self.vocab),
            "min_length": self.min_length,
            "n_positions": self.n_positions,
            "predicted": {"ape": computed.ape, "nope": computed.nope},
            "reason": computed.reason,
            "prediction_source": computed.source,
            "stated": {"ape": self.prediction.ape, "nope": self.prediction.nope, "source": self.prediction.source,
                       "reason": self.prediction.reason},
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} ({self.kind})>"
