"""Tasks of your own: a language given by a Python predicate, trainable like lengen's languages.

:func:`predicate_task` turns ``label(s: str) -> bool`` over an alphabet of single characters into
a task registered under a name of your choice, so that ``TrainConfig(task=name)``,
:func:`lengen.train.train` and :mod:`lengen.evaluate` work on it unchanged.  The same function
is what :func:`lengen.identify.predicate_target` and ``lengen predict --from-file`` search a
program for, so a prediction and a training run can be compared on one definition.

Framing: membership labels, as for lengen's membership languages
(:mod:`lengen.tasks.languages`).  The model reads ``<bos> w_1 ... w_n`` and at every position
t = 0..n (``<bos>`` included) predicts ``[in]`` when ``label(w_1 ... w_t)`` is True and ``[out]``
when it is False; ``None`` marks a prefix as "don't care" (not supervised).  Length = n, the
number of symbols; ``sequence_length(n) = n + 1``; lengths 1..``max_length``.

Strings: uniform over **all** words of length n over the alphabet (a predicate gives no way to
draw the strings of its language), so a language whose strings are rare at long lengths is
tested mostly on strings outside it.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import _CACHE, _REGISTRY
from .base import BOS, PAD, Example, Prediction, Task, TaskError, Vocab
from .languages import IN, OUT

__all__ = ["PredicateLanguage", "predicate_task", "remove_task"]

NO_PREDICTION = Prediction(
    ape=False, nope=False, source="none",
    reason="no prediction computed for this task: search a program with lengen.identify.search "
           "(or lengen predict --from-file) and pass it as prediction=",
)


class PredicateLanguage(Task):
    """A language given by a Python predicate on strings, with membership labels on every prefix.

    Example (``label = lambda s: s.count("a") > s.count("b")``, n = 4)::

        inputs : <bos>  a     b     b     a
        targets: [out] [in]  [out] [out] [out]

    Strings are uniform over all words of each length; ``label`` returning ``None`` leaves a
    position unsupervised.  Built and registered by :func:`predicate_task`."""

    kind = "custom"
    label_mode = "member"
    min_length = 1

    def __init__(self, fn: Callable[[str], Any], alphabet: Sequence[str] | str, name: str,
                 title: str | None = None, max_length: int = 150, prediction: Prediction | None = None) -> None:
        alphabet = tuple(alphabet)
        if not alphabet:
            raise TaskError("the alphabet is empty")
        if len(set(alphabet)) != len(alphabet):
            raise TaskError(f"the alphabet has a repeated symbol: {' '.join(alphabet)}")
        bad = [a for a in alphabet if len(a) != 1 or a.isspace() or a in "<>["]
        if bad:
            raise TaskError(f"symbols must be single characters other than whitespace, '<', '>' and '[': {bad!r}")
        if max_length < 1:
            raise TaskError("max_length must be at least 1")
        self.fn = fn
        self.name = name
        self.title = title or name
        self.alphabet: tuple[str, ...] = alphabet
        self.max_length = max_length
        self.prediction = prediction or NO_PREDICTION
        self.label_tokens: tuple[str, ...] = (IN, OUT)
        self.vocab = Vocab([PAD, BOS, *alphabet, IN, OUT])
        self._symbols = frozenset(alphabet)

    # -- the language -------------------------------------------------------------------------
    def label(self, word: Sequence[str]) -> bool | None:
        """``fn`` of the joined word, checked to be a bool or None."""
        s = "".join(word)
        try:
            value = self.fn(s)
        except Exception as e:  # noqa: BLE001 - reported with the input that caused it
            raise TaskError(f"label of task {self.name!r} raised {type(e).__name__}: {e} on input {s!r}") from e
        if value is None or isinstance(value, (bool, np.bool_)):
            return None if value is None else bool(value)
        raise TaskError(f"label of task {self.name!r} must return a bool (or None), got {value!r} on input {s!r}")

    def accepts(self, word: Sequence[str]) -> bool:
        """Whether ``word`` is in the language (``label`` is True)."""
        return self.label(word) is True

    def labels(self, word: Sequence[str]) -> list[str | None]:
        """``[in]``/``[out]`` (or None) for every prefix of ``word``, the empty prefix first."""
        unknown = [s for s in word if s not in self._symbols]
        if unknown:
            raise TaskError(f"token {unknown[0]!r} is not in the alphabet of {self.name!r} ({' '.join(self.alphabet)})")
        out: list[str | None] = []
        for t in range(len(word) + 1):
            v = self.label(word[:t])
            out.append(None if v is None else IN if v else OUT)
        return out

    def draw(self, rng: np.random.Generator, length: int) -> list[str]:
        """A word of exactly ``length`` symbols, uniform over all words."""
        idx = rng.integers(0, len(self.alphabet), size=length)
        return [self.alphabet[k] for k in idx.tolist()]

    # -- the task interface ---------------------------------------------------------------------
    def feasible(self, length: int) -> bool:
        return self.min_length <= length

    def sequence_length(self, length: int) -> int:
        return length + 1

    def example(self, rng: np.random.Generator, length: int) -> Example:
        """``<bos> w`` with the label of every prefix; w uniform over all words of this length."""
        if length < self.min_length:
            raise TaskError(f"task {self.name!r} has lengths from {self.min_length} on, not {length}")
        word = self.draw(rng, length)
        return Example(inputs=[BOS, *word], targets=self.labels(word), length=length)

    def predicted(self) -> Prediction:
        """The prediction given to :func:`predicate_task` (the C-RASP library knows no such task)."""
        return self.prediction


class _Registered:
    """A registry entry that returns one prebuilt task (the registry expects a factory with ``kind``)."""

    def __init__(self, task: PredicateLanguage) -> None:
        self.task = task
        self.kind = task.kind
        self.name = task.name

    def __call__(self) -> PredicateLanguage:
        return self.task


def predicate_task(fn: Callable[[str], Any], alphabet: Sequence[str] | str, name: str, title: str | None = None,
                   max_length: int = 150, prediction: Prediction | None = None) -> PredicateLanguage:
    """Register the language ``{s : fn(s)}`` over ``alphabet`` as the task ``name`` and return it.

    A task of your own with the same name is replaced; a name of one of lengen's tasks is refused.
    ``prediction``: the theory's prediction for the task, if you computed one (it is stored in
    training results); :func:`remove_task` unregisters the task."""
    existing = _REGISTRY.get(name)
    if existing is not None and not isinstance(existing, _Registered):
        raise TaskError(f"{name!r} is one of lengen's tasks; choose another name for your own")
    task = PredicateLanguage(fn, alphabet, name, title=title, max_length=max_length, prediction=prediction)
    for s in ["", *task.alphabet, "".join(task.alphabet) * 2]:
        task.label(tuple(s))  # fail early on a label function that raises or returns a non-bool
    _REGISTRY[name] = _Registered(task)
    _CACHE[name] = task
    return task


def remove_task(name: str) -> None:
    """Unregister a task made by :func:`predicate_task` (lengen's own tasks cannot be removed)."""
    existing = _REGISTRY.get(name)
    if existing is None:
        return
    if not isinstance(existing, _Registered):
        raise TaskError(f"{name!r} is one of lengen's tasks and cannot be removed")
    del _REGISTRY[name]
    _CACHE.pop(name, None)
