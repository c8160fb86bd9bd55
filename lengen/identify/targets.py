"""Targets of the idealized inference: a Boolean output at every position of every input.

Conventions
-----------
* A **word** is a tuple of alphabet symbols ``(w_1, ..., w_t)``; the program reads
  ``<bos> w_1 ... w_t``, so the prefix of length t is read at program position ``t + 1`` (1-based;
  position 1 is ``<bos>`` and carries the label of the empty prefix).  This is the framing of
  lengen's formal languages (:mod:`lengen.tasks.languages`) and of :func:`lengen.crasp.check`.
* A target assigns to every prefix a label ``True``/``False``, or ``None`` ("don't care": the
  position is not supervised, e.g. a tie of binary majority).  A program *agrees* with the target
  when its output definition equals the label at every supervised position.
* The **domain** is the set of inputs the learner sees.  ``None`` (the default) means every word
  over the alphabet; a task framing may restrict it to the prefixes of the strings of the
  language (positive examples only, as in the paper's training data and in lengen's checker).
  Domains are prefix-closed, so "every input up to length n" and "every prefix up to length n"
  are the same set.

Constructors: :func:`predicate_target` (any Python predicate on strings),
:func:`membership_target` (``task.accepts`` of every prefix), :func:`label_targets` (a language
task's own labels: one target per ``next_<symbol>`` column, or ``accept``) and
:func:`answer_target` (an algorithmic task with a two-token answer, e.g. parity, binary majority).
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Sequence

import numpy as np

from lengen.crasp.ast import ACCEPT, output_name

Word = tuple[str, ...]

_MISSING = object()

#: Largest number of words a domain or an exhaustive test may enumerate.
ENUMERATION_BUDGET = 400_000


class TargetError(ValueError):
    """A target that cannot be built or evaluated (bad alphabet, a label function that fails)."""


class Target:
    """A Boolean label for every prefix of every word over ``alphabet`` (see the module docstring).

    Subclasses implement :meth:`label` (and may override :meth:`labels` for speed,
    :meth:`domain` to restrict the inputs and :meth:`sample` to draw test words)."""

    name: str = "target"
    output: str = ACCEPT  # the name of the output definition in the program

    def __init__(self, alphabet: Sequence[str], name: str | None = None, output: str = ACCEPT) -> None:
        alphabet = tuple(alphabet)
        if not alphabet:
            raise TargetError("the alphabet is empty")
        if len(set(alphabet)) != len(alphabet):
            raise TargetError(f"the alphabet has a repeated symbol: {' '.join(alphabet)}")
        if "<bos>" in alphabet:
            raise TargetError("<bos> is reserved for the start of the input and cannot be a symbol")
        self.alphabet: tuple[str, ...] = alphabet
        if name is not None:
            self.name = name
        self.output = output

    # -- to implement ---------------------------------------------------------------------------
    def label(self, word: Word) -> bool | None:
        """The label of the whole ``word`` (read at its last position)."""
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------------
    def labels(self, word: Word) -> list[bool | None]:
        """The labels of every prefix of ``word``, the empty prefix first (``len(word) + 1``)."""
        return [self.label(word[:t]) for t in range(len(word) + 1)]

    def domain(self, n: int) -> list[Word] | None:
        """The words of length <= n the learner sees (prefix-closed), or None for all words."""
        return None

    def in_domain_sampler(self) -> bool:
        """Whether :meth:`sample` draws from a restricted domain (then tests use only its words)."""
        return False

    def sample(self, rng: np.random.Generator, length: int, k: int) -> list[Word]:
        """Up to ``k`` test words of exactly ``length`` symbols (default: uniform over all words)."""
        idx = rng.integers(0, len(self.alphabet), size=(k, length))
        return [tuple(self.alphabet[i] for i in row) for row in idx.tolist()]

    def positives(self, rng: np.random.Generator, length: int, k: int) -> list[Word]:
        """Up to ``k`` words of this length whose label is True, when the target can draw them
        (tasks: strings of the language), to make sparse languages testable.  Default: none."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} over {''.join(self.alphabet) if all(len(a) == 1 for a in self.alphabet) else self.alphabet}>"


# ---------------------------------------------------------------------------------------------
# Predicates


class PredicateTarget(Target):
    """``fn(s)`` for every prefix ``s``: a Python predicate on strings (single-character symbols,
    the prefix joined into a ``str``) or, with ``join=False``, on tuples of symbols."""

    def __init__(self, fn: Callable[[Any], Any], alphabet: Sequence[str] | str, name: str | None = None,
                 join: bool = True, output: str = ACCEPT) -> None:
        super().__init__(tuple(alphabet), name or getattr(fn, "__name__", "predicate"), output)
        if join and any(len(a) != 1 for a in self.alphabet):
            raise TargetError("a string predicate needs single-character symbols; pass join=False for token tuples")
        self.fn = fn
        self.join = join
        self._cache: dict[Word, bool | None] = {}

    def label(self, word: Word) -> bool | None:
        hit = self._cache.get(word, _MISSING)
        if hit is not _MISSING:
            return hit  # type: ignore[return-value]
        arg: Any = "".join(word) if self.join else word
        try:
            value = self.fn(arg)
        except Exception as e:  # noqa: BLE001 - reported as a TargetError naming the input
            raise TargetError(f"label ({self.name}) raised {type(e).__name__}: {e} on input {arg!r}") from e
        if value is None:
            out = None
        elif isinstance(value, (bool, np.bool_)):
            out = bool(value)
        else:
            raise TargetError(f"label ({self.name}) must return a bool, got {type(value).__name__} ({value!r}) on input {arg!r}")
        if len(self._cache) < 1_000_000:
            self._cache[word] = out
        return out


def predicate_target(fn: Callable[[Any], Any], alphabet: Sequence[str] | str, name: str | None = None) -> PredicateTarget:
    """A target from a Python predicate ``fn(s: str) -> bool`` over single-character symbols:
    the label of a prefix is ``fn(prefix)`` (``None`` = don't care)."""
    return PredicateTarget(fn, alphabet, name)


# ---------------------------------------------------------------------------------------------
# Task targets


def _get_task(task: Any) -> Any:
    if isinstance(task, str):
        from lengen.tasks import get_task

        return get_task(task)
    return task


def _prefix_membership(task: Any, word: Word) -> list[bool]:
    """``task.accepts`` of every prefix, in one pass where the task allows it."""
    mode = getattr(task, "label_mode", None)
    if mode == "member":
        from lengen.tasks.languages import IN

        return [lab == IN for lab in task.labels(list(word))]
    run = getattr(task, "_run", None)  # DFA languages: the state after each prefix
    acc = getattr(task, "_accepting", None)
    if run is not None and acc is not None:
        return [q in acc for q in run(list(word))]
    return [bool(task.accepts(list(word[:t]))) for t in range(len(word) + 1)]


def language_prefixes(task: Any, n: int, budget: int = ENUMERATION_BUDGET) -> list[Word]:
    """The prefixes of the strings of ``task``'s language with at most ``n`` symbols
    (prefix-closed, the empty word first, by length).

    Legal-next labels prune the enumeration where the task has them (a prefix is extended only by
    legal symbols); otherwise every word is enumerated (at most ``budget``).  A prefix is kept when
    some string of the language of length <= n extends it."""
    task = _get_task(task)
    alphabet = tuple(task.alphabet)
    mode = getattr(task, "label_mode", None)
    nodes: list[Word] = [()]
    children: list[list[int]] = [[]]
    frontier = [0]
    for _ in range(n):
        nxt = []
        for k in frontier:
            w = nodes[k]
            if mode == "next":
                lab = task.labels(list(w))[-1]
                legal = [a for c, a in enumerate(alphabet) if lab[1 + c] != "-"]
            else:
                legal = list(alphabet)
            for a in legal:
                nodes.append(w + (a,))
                children.append([])
                children[k].append(len(nodes) - 1)
                nxt.append(len(nodes) - 1)
            if len(nodes) > budget:
                raise TargetError(f"the domain of {task.name!r} up to length {n} has more than {budget} prefixes; use a smaller n")
        frontier = nxt
    keep = [False] * len(nodes)
    for k in range(len(nodes) - 1, -1, -1):  # children come after parents
        keep[k] = any(keep[c] for c in children[k]) or bool(task.accepts(list(nodes[k])))
    if not keep[0]:
        raise TargetError(f"no string of {task.name!r} has at most {n} symbols (its strings start at length "
                          f"{getattr(task, 'min_length', '?')}); use a larger n")
    return [w for w, ok in zip(nodes, keep) if ok]


class TaskMembershipTarget(Target):
    """``task.accepts`` of every prefix.  ``domain="all"``: every word over the alphabet;
    ``domain="language"``: the prefixes of the strings of the language."""

    def __init__(self, task: Any, domain: str = "all") -> None:
        task = _get_task(task)
        if not hasattr(task, "accepts"):
            raise TargetError(f"task {task.name!r} has no accepts(); membership targets need a language")
        if domain not in ("all", "language"):
            raise TargetError(f"domain must be 'all' or 'language', not {domain!r}")
        super().__init__(tuple(task.alphabet), f"{task.name} (membership{', language prefixes' if domain == 'language' else ''})")
        self.task = task
        self.domain_kind = domain

    def label(self, word: Word) -> bool | None:
        return bool(self.task.accepts(list(word)))

    def labels(self, word: Word) -> list[bool | None]:
        return list(_prefix_membership(self.task, word))

    def domain(self, n: int) -> list[Word] | None:
        return language_prefixes(self.task, n) if self.domain_kind == "language" else None

    def in_domain_sampler(self) -> bool:
        return self.domain_kind == "language"

    def sample(self, rng: np.random.Generator, length: int, k: int) -> list[Word]:
        if self.domain_kind == "language":
            return self.positives(rng, length, k)
        return super().sample(rng, length, k)

    def positives(self, rng: np.random.Generator, length: int, k: int) -> list[Word]:
        if length < 1 or not self.task.feasible(length):
            return []
        return [tuple(self.task.draw(rng, length)) for _ in range(k)]


class TaskLabelTarget(Target):
    """One column of a language task's own labels, on the prefixes of its strings (the framing
    :func:`lengen.crasp.check` checks): ``next_<a>`` = "symbol a may come next" (legal-next
    labels), or ``accept`` = "the prefix is in the language" (membership labels, or the end
    column ``$`` of the counter languages)."""

    def __init__(self, task: Any, column: str | None) -> None:
        task = _get_task(task)
        self.task = task
        alphabet = tuple(task.alphabet)
        mode = getattr(task, "label_mode", None)
        if column is None:  # membership, or the end column
            if mode == "member":
                from lengen.tasks.languages import IN

                self._read = lambda lab: lab == IN
            else:
                self._read = lambda lab: lab[-2] != "-"
            out = ACCEPT
        else:
            if column not in alphabet:
                raise TargetError(f"{column!r} is not a symbol of {task.name!r}")
            c = 1 + alphabet.index(column)
            self._read = lambda lab: lab[c] != "-"
            out = output_name(column)
        super().__init__(alphabet, f"{task.name}:{out}", out)

    def label(self, word: Word) -> bool | None:
        return bool(self._read(self.task.labels(list(word))[-1]))

    def labels(self, word: Word) -> list[bool | None]:
        return [bool(self._read(lab)) for lab in self.task.labels(list(word))]

    def domain(self, n: int) -> list[Word] | None:
        return language_prefixes(self.task, n)

    def in_domain_sampler(self) -> bool:
        return True

    def sample(self, rng: np.random.Generator, length: int, k: int) -> list[Word]:
        if length < 1 or not self.task.feasible(length):
            return []
        return [tuple(self.task.draw(rng, length)) for _ in range(k)]


def label_targets(task: Any) -> dict[str, TaskLabelTarget]:
    """A language task's own framing as Boolean targets, output name -> target: one ``next_<a>``
    per alphabet symbol for legal-next labels (plus ``accept`` for an end column), or ``accept``
    alone for membership labels."""
    task = _get_task(task)
    mode = getattr(task, "label_mode", None)
    if mode == "member":
        return {ACCEPT: TaskLabelTarget(task, None)}
    if mode != "next":
        raise TargetError(f"task {task.name!r} has no per-position language labels")
    out = {output_name(a): TaskLabelTarget(task, a) for a in task.alphabet}
    widths = {len(t) - 2 for t in task.label_tokens}
    if widths == {len(task.alphabet) + 1}:
        out[ACCEPT] = TaskLabelTarget(task, None)
    return out


class AnswerTarget(Target):
    """An algorithmic task whose answer is one of two tokens, as a membership target: the label
    of a prefix x is ``answer(x) == [yes]``; inputs the task rejects (a majority tie) are
    don't-care.  Every word over the task's input symbols is in the domain."""

    def __init__(self, task: Any, yes: str | None = None) -> None:
        task = _get_task(task)
        if getattr(task, "kind", None) != "algorithmic":
            raise TargetError(f"task {task.name!r} is not an algorithmic task")
        answers = _binary_answers(task)
        if answers is None:
            raise TargetError(
                f"task {task.name!r} does not have a one-token answer from two tokens; the search needs a Boolean "
                "per-position target (languages, bin_majority, parity, or a task file)"
            )
        self.yes = yes or answers[0]
        self.task = task
        super().__init__(tuple(task.symbols), f"{task.name} (answer == {self.yes})")

    def label(self, word: Word) -> bool | None:
        from lengen.tasks import TaskError

        try:
            y = self.task.answer(list(word))
        except TaskError:
            return None
        return y == [self.yes]


def _binary_answers(task: Any) -> tuple[str, str] | None:
    """The two answer tokens of a task with one-token answers over two values, else None."""
    if task.name == "parity":
        return ("e", "o")
    if task.name == "bin_majority":
        return ("1", "0")
    return None


def answer_target(task: Any, yes: str | None = None) -> AnswerTarget:
    """A two-valued algorithmic task (``parity``: "even number of 1s"; ``bin_majority``: "more 1s
    than 0s", ties don't-care) as a membership target on every prefix."""
    return AnswerTarget(task, yes)


def task_target(task: Any, domain: str = "all") -> Target:
    """The natural Boolean target of a lengen task: membership of prefixes for languages
    (``domain`` as in :class:`TaskMembershipTarget`), the answer for two-valued algorithmic tasks."""
    task = _get_task(task)
    if getattr(task, "kind", None) == "algorithmic":
        return answer_target(task)
    return TaskMembershipTarget(task, domain)


def all_words(alphabet: Sequence[str], n: int) -> list[Word]:
    """Every word of length <= n over ``alphabet``, by length then lexicographically."""
    out: list[Word] = []
    for t in range(n + 1):
        out.extend(itertools.product(alphabet, repeat=t))
    return out


def membership_target(task: Any, domain: str = "all") -> TaskMembershipTarget:
    """Membership of every prefix in a language task (``task.accepts``); ``domain="language"``
    restricts the inputs to prefixes of strings of the language."""
    return TaskMembershipTarget(task, domain)
