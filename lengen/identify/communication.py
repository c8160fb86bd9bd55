"""Communication complexity of a task split between Alice (first half) and Bob (second half).

The game
--------
A function f is defined on the inputs w of length n of a task.  Alice holds the first
``h = floor(n / 2)`` symbols x of w, Bob the remaining ``n - h`` symbols y, and Bob must
compute f(xy) after **one message from Alice** (one-way communication).  The *communication
matrix* of f has a row for every half x that Alice can hold, a column for every half y that Bob
can hold, and the entry f(xy), or ⊥ where xy is not an input of the task.  Alice's message must
tell apart any two halves whose rows differ, and a message naming her row is enough; so the
number of **distinct rows** R_f(n) is exactly the number of messages needed, and
``ceil(log2 R_f(n))`` bits is the deterministic one-way communication complexity of f.

Which f, for lengen's tasks:

* languages (:func:`language_function`): f(w) = "w is in the language" (``task.accepts``),
  on every word of length n over the alphabet;
* algorithmic tasks (:func:`algorithmic_function`): f(w) = the **whole output** ``task.answer(w)``
  (a tuple of tokens) on the task's input w = x_1 ... x_n, the part between ``<bos>`` and the
  separator; inputs the task rejects (a binary-majority tie) get the value ``"undefined"``.  For
  ``repeat_copy`` the output is w itself; for ``parity`` and ``bin_majority`` one token;
* ``addition`` (:func:`addition_function`): the input is the token string ``a + b =`` (a and b
  binary, most significant bit first, no leading zeros; n counts every token, ``+`` and ``=``
  included, as the task's length does) and f is the sum's bits.  Alice holds the first
  ``floor(n / 2)`` tokens, Bob the rest; a pair of halves that is not of the form ``a + b =``
  is ⊥.  Only halves that occur in some input are rows/columns.

The counts are **exact** (every input of length n enumerated) while the task has at most
``exhaustive_limit`` inputs of that length, and **estimated by sampling** beyond: a few hundred
halves x and y drawn from random inputs (for languages: uniform words, strings of the language,
and the words a^n of one symbol), the submatrix computed, and its distinct rows counted.  A sampled count is a *lower
bound* on R_f(n) (fewer columns can only merge rows, fewer rows only miss some), and it can never
exceed the number of halves sampled.

Beyond the sample size, a **collision estimate** goes further.  Let x, x' be two halves drawn
independently from the sampling distribution and q the probability that their rows agree (on
the sampled columns).  If the rows fall into R classes with probabilities p_1 .. p_R, then
q = sum p_c^2 >= 1 / R (Cauchy-Schwarz), so **R >= 1 / q**.  The fraction of sampled pairs whose
rows agree estimates q; :attr:`CommunicationPoint.estimate` is the larger of the distinct count
and ``pairs / collisions``.  Judging rows on a sample of columns can only merge classes, which
raises q, so the estimate errs low.  It is a statistical estimate of a lower bound, reliable while
the sample holds a fair number of collisions (``CommunicationPoint.collisions``); with none it is
just the number of pairs, a rough figure.

What the counts prove, and what they do not
-------------------------------------------
Theorem 12 of Huang et al. (as quoted by Jobanputra et al., "Born a Transformer", Lemma 8): *all
problems expressible in C-RASP[periodic, local] have logarithmic communication complexity in the
model where Alice and Bob have access to the first and second halves of the string.*  The
protocol behind it is one-way: Alice sends O(log n) bits (the values of the program's counts over
her half, her last few symbols for the local relations and her phase modulo the periods), from
which Bob evaluates the program on his half.  So if f has a C-RASP[periodic, local] program,
R_f(n) <= 2^(O(log n)) = n^O(1): the number of distinct rows grows at most **polynomially**.

* **Exponential counts exclude a program.**  If R_f(n) >= 2^(c n) for some c > 0 and all large n,
  f has no C-RASP[periodic, local] program, and the theory predicts failure to length-generalize.
  For ``repeat_copy`` every x is its own row (Bob must output x), so R_f(n) = |Σ|^floor(n/2) for
  every n; for addition with both operands of m bits every a is its own row.  These hold for every
  n by a one-line argument, so the growth seen in the table is proved, not extrapolated; and since
  Bob's output reveals Alice's half, even two-way protocols need that many bits.  A table by
  itself only shows the lengths computed, and sampled counts are lower bounds.
* **Polynomial counts prove nothing.**  Low communication is necessary for a program, not
  sufficient.  **PARITY** is the standard example: Alice sends the parity of her half, one bit
  (R_f(n) = 2 for every n >= 2), yet PARITY has no program.  The argument that excludes it is not a
  communication argument: C-RASP cannot define PARITY (Huang et al.; restated by Yang et al. 2026,
  "C-RASP ⊊ TC0", with PARITY as the separating example).  For C-RASP[periodic, local],
  lengen gives its own argument (:mod:`lengen.identify.periodic_strings`): along the strings
  <bos> (0^(L-1) 1)^k, with L a multiple of the program's periods, every program's output is
  eventually constant in k, while the parity of the k ones alternates.  Tomita-5 and -6
  (counting modulo 2 and 3) also have bounded communication and no program, and so has
  ``{0,1,2}*02*`` ("the last symbol other than 2 is 0": two bits of communication), which
  Lemmas 35/36 exclude.  What :mod:`lengen.identify.identification` shows
  for these targets -- the learner's choice never settling up to the n one can afford -- is
  evidence about a finite search, not a proof.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable, Mapping, Sequence

import numpy as np

Word = tuple[str, ...]

#: The entry of the matrix for a pair of halves that is not an input of the task.
BOTTOM = "⊥"
#: The value of f on an input the task rejects (e.g. a majority tie).
UNDEFINED = "undefined"


@dataclass
class SplitFunction:
    """A function on the inputs of a task, for the communication game (module docstring).

    ``value(w)`` is f(w) (hashable); it may raise for a string that is not an input (the entry is
    then ⊥).  ``enumerate_inputs(n)`` yields every input of length n; ``count_inputs(n)`` says how
    many there are; ``sample_inputs(rng, n, k)`` draws k inputs of length n (for sampling)."""

    name: str
    alphabet: tuple[str, ...]
    value: Callable[[Word], Hashable]
    enumerate_inputs: Callable[[int], Iterable[Word]]
    count_inputs: Callable[[int], int]
    sample_inputs: Callable[[np.random.Generator, int, int], list[Word]]
    description: str = ""

    def __call__(self, w: Word) -> Hashable:
        try:
            return self.value(w)
        except Exception:  # noqa: BLE001 - not an input: the entry is ⊥
            return BOTTOM


@dataclass
class CommunicationPoint:
    """The distinct rows of the communication matrix at input length n."""

    n: int
    alice: int  # symbols Alice holds
    bob: int
    rows: int
    exact: bool
    n_rows: int  # rows (Alice halves) of the matrix computed
    n_cols: int
    pairs: int = 0  # sampled only: pairs of sampled halves (drawn with repetition)
    collisions: int = 0  # sampled only: pairs among them whose rows agree on the sampled columns

    @property
    def bits(self) -> float:
        """log2 of the number of distinct rows: the one-way communication complexity (bits)."""
        return math.log2(self.rows) if self.rows > 0 else 0.0

    @property
    def estimate(self) -> float:
        """The number of distinct rows: exact, or for a sampled point the larger of the distinct
        count and the collision estimate ``pairs / max(collisions, 1)`` (module docstring)."""
        if self.exact or self.pairs == 0:
            return float(self.rows)
        return max(float(self.rows), self.pairs / max(self.collisions, 1))

    def as_dict(self) -> dict:
        out = {"n": self.n, "alice": self.alice, "bob": self.bob, "rows": self.rows, "exact": self.exact,
               "bits": round(self.bits, 3), "matrix_rows": self.n_rows, "matrix_cols": self.n_cols}
        if not self.exact:
            out.update(pairs=self.pairs, collisions=self.collisions, estimate=round(self.estimate, 1))
        return out


def distinct_rows(f: Callable[[Word], Hashable], xs: Sequence[Word], ys: Sequence[Word]) -> int:
    """The number of distinct rows of the matrix ``f(x + y)`` for x in ``xs``, y in ``ys``."""
    rows = {tuple(f(tuple(x) + tuple(y)) for y in ys) for x in xs}
    return len(rows)


def communication_point(fn: SplitFunction, n: int, exhaustive_limit: int = 1 << 18, samples: int = 300,
                        seed: int = 0, columns: int | None = None) -> CommunicationPoint:
    """Distinct rows at length n: exact when the task has at most ``exhaustive_limit`` inputs of
    length n, else a lower bound from ``samples`` sampled halves for Alice and ``columns``
    (default: ``samples``) for Bob, with the collision estimate of the module docstring."""
    h = n // 2
    if fn.count_inputs(n) <= exhaustive_limit:
        rows: dict[Word, dict[Word, Hashable]] = {}
        cols: set[Word] = set()
        for w in fn.enumerate_inputs(n):
            w = tuple(w)
            x, y = w[:h], w[h:]
            rows.setdefault(x, {})[y] = fn(w)
            cols.add(y)
        distinct = {frozenset(r.items()) for r in rows.values()}
        return CommunicationPoint(n, h, n - h, len(distinct), True, len(rows), len(cols))
    rng = np.random.default_rng(seed + n)
    inputs = [tuple(w) for w in fn.sample_inputs(rng, n, samples)]
    more = [tuple(w) for w in fn.sample_inputs(rng, n, samples if columns is None else columns)]
    halves = [w[:h] for w in inputs]  # with repetition: the collision estimate needs the multiset
    xs = sorted(set(halves))
    ys = sorted({w[h:] for w in more})
    row_of = {x: tuple(fn(x + y) for y in ys) for x in xs}
    sizes: dict[tuple, int] = {}
    for x in halves:
        sizes[row_of[x]] = sizes.get(row_of[x], 0) + 1
    k = len(halves)
    collisions = sum(m * (m - 1) // 2 for m in sizes.values())
    return CommunicationPoint(n, h, n - h, len(sizes), False, len(xs), len(ys), k * (k - 1) // 2, collisions)


def communication_matrix(fn: SplitFunction, n: int) -> tuple[list[Word], list[Word], list[list[Hashable]]]:
    """The whole communication matrix at length n (every input enumerated; for small n):
    Alice's halves (rows), Bob's halves (columns), and the entries f(xy) (⊥ where xy is not an
    input), rows and columns in sorted order."""
    h = n // 2
    words = [tuple(w) for w in fn.enumerate_inputs(n)]
    xs = sorted({w[:h] for w in words})
    ys = sorted({w[h:] for w in words})
    return xs, ys, [[fn(x + y) for y in ys] for x in xs]


def communication_profile(fn: SplitFunction, ns: Iterable[int], exhaustive_limit: int = 1 << 18,
                          samples: int = 300, seed: int = 0, columns: int | None = None) -> list[CommunicationPoint]:
    """:func:`communication_point` for every n in ``ns``."""
    return [communication_point(fn, n, exhaustive_limit, samples, seed, columns) for n in ns]


def growth(points: Sequence[CommunicationPoint]) -> str:
    """A rough reading of a profile: ``"bounded"``, ``"polynomial"`` or ``"exponential"``.

    Exponential when log2(rows) grows at least linearly in n (slope of bits against n above 0.3
    over the second half of the points), polynomial when it grows like log n, bounded when the
    second half of the points never exceeds the first.  Uses the exact counts when there are at least three.  A heuristic for
    display; the module docstring says what is proved."""
    pts = [p for p in points if p.rows > 0]
    exact = [p for p in pts if p.exact]
    if len(exact) >= 3:
        pts = exact  # sampled counts are lower bounds, capped by the sample size
    if len(pts) < 3:
        return "unknown"
    half = len(pts) // 2
    if max(p.rows for p in pts[half:]) <= max(p.rows for p in pts[:half]):
        return "bounded"
    tail = pts[len(pts) // 2 - 1:]
    slope = (tail[-1].bits - tail[0].bits) / max(1, tail[-1].n - tail[0].n)
    return "exponential" if slope > 0.3 else "polynomial"


# ---------------------------------------------------------------------------------------------
# Functions of lengen's tasks


def _words(alphabet: Sequence[str], n: int) -> Iterable[Word]:
    return itertools.product(alphabet, repeat=n)


def _uniform(alphabet: Sequence[str]) -> Callable[[np.random.Generator, int, int], list[Word]]:
    def sample(rng: np.random.Generator, n: int, k: int) -> list[Word]:
        idx = rng.integers(0, len(alphabet), size=(k, n))
        return [tuple(alphabet[i] for i in row) for row in idx.tolist()]

    return sample


def predicate_function(fn: Callable[[str], Any], alphabet: Sequence[str] | str, name: str = "predicate") -> SplitFunction:
    """f(w) = ``fn("".join(w))`` on every word over ``alphabet`` (single-character symbols)."""
    alphabet = tuple(alphabet)
    return SplitFunction(name, alphabet, lambda w: bool(fn("".join(w))), lambda n: _words(alphabet, n),
                         lambda n: len(alphabet) ** n, _uniform(alphabet), f"{name}(w) on every word")


def language_function(task: Any) -> SplitFunction:
    """f(w) = ``task.accepts(w)`` on every word of length n over the language's alphabet."""
    from lengen.tasks import get_task

    task = get_task(task) if isinstance(task, str) else task
    alphabet = tuple(task.alphabet)
    uniform = _uniform(alphabet)

    def sample(rng: np.random.Generator, n: int, k: int) -> list[Word]:
        out = [tuple(a for _ in range(n)) for a in alphabet]  # a^n: halves made of one symbol
        out += uniform(rng, n, k - k // 2 - len(alphabet))
        if n >= 1 and task.feasible(n):
            out += [tuple(task.draw(rng, n)) for _ in range(k // 2)]
        else:
            out += uniform(rng, n, k // 2)
        return out

    return SplitFunction(task.name, alphabet, lambda w: bool(task.accepts(list(w))), lambda n: _words(alphabet, n),
                         lambda n: len(alphabet) ** n, sample, f"membership in {task.name}")


def algorithmic_function(task: Any) -> SplitFunction:
    """f(w) = the whole output ``task.answer(w)`` on every input w of length n over the task's
    input symbols (``"undefined"`` where the task rejects the input).  Not for ``addition``
    (see :func:`addition_function`)."""
    from lengen.tasks import TaskError, get_task

    task = get_task(task) if isinstance(task, str) else task
    if task.name == "addition":
        return addition_function()
    alphabet = tuple(task.symbols)

    def value(w: Word) -> Hashable:
        try:
            return tuple(task.answer(list(w)))
        except TaskError:
            return UNDEFINED

    def sample(rng: np.random.Generator, n: int, k: int) -> list[Word]:
        return [tuple(task.draw_input(rng, n)) if task.feasible(n) else () for _ in range(k)]

    return SplitFunction(task.name, alphabet, value, lambda n: _words(alphabet, n), lambda n: len(alphabet) ** n,
                         sample, f"the output of {task.name}")


def _operands(p: int) -> list[str]:
    """Every p-bit binary number without leading zeros (p = 1: 0 and 1)."""
    if p == 1:
        return ["0", "1"]
    return ["1" + "".join(bits) for bits in itertools.product("01", repeat=p - 1)]


def _n_operands(p: int) -> int:
    """How many p-bit numbers without leading zeros there are (``len(_operands(p))``, not built)."""
    return 2 if p == 1 else 2 ** (p - 1)


def addition_function() -> SplitFunction:
    """Binary addition on token strings ``a + b =`` of n tokens (n = |a| + |b| + 2): f = the sum's
    bits (MSB first).  Inputs: every pair of operands without leading zeros."""

    def inputs(n: int) -> Iterable[Word]:
        for p in range(1, n - 2):
            q = n - 2 - p
            for a in _operands(p):
                for b in _operands(q):
                    yield (*a, "+", *b, "=")

    def count(n: int) -> int:
        return sum(_n_operands(p) * _n_operands(n - 2 - p) for p in range(1, n - 2)) if n >= 4 else 0

    def value(w: Word) -> Hashable:
        s = list(w)
        if s.count("+") != 1 or s.count("=") != 1 or s[-1] != "=":
            raise ValueError("not a + b =")
        k = s.index("+")
        a, b = s[:k], s[k + 1:-1]
        for op in (a, b):
            if not op or (len(op) > 1 and op[0] == "0") or any(t not in "01" for t in op):
                raise ValueError("bad operand")
        return format(int("".join(a), 2) + int("".join(b), 2), "b")

    def sample(rng: np.random.Generator, n: int, k: int) -> list[Word]:
        from lengen.tasks import get_task

        task = get_task("addition")
        return [tuple(task.draw_input(rng, n)) for _ in range(k)] if n >= 4 else []

    return SplitFunction("addition", ("0", "1", "+", "="), value, inputs, count, sample,
                         "the sum of a + b = (binary, MSB first)")


def task_function(task: Any) -> SplitFunction:
    """The function of a lengen task for the communication game (see the module docstring)."""
    from lengen.tasks import get_task

    task = get_task(task) if isinstance(task, str) else task
    if task.kind == "algorithmic":
        return algorithmic_function(task)
    return language_function(task)


DEFAULT_TASKS = ("bin_majority", "dyck1", "d2", "parity", "zot_02_star", "repeat_copy", "addition")


def communication_table(tasks: Sequence[str | SplitFunction] = DEFAULT_TASKS, ns: Sequence[int] = (2, 4, 6, 8, 10, 12, 14, 16),
                        exhaustive_limit: int = 1 << 18, samples: int = 300, seed: int = 0,
                        columns: int | None = None) -> dict[str, list[CommunicationPoint]]:
    """Profiles of several tasks (names or :class:`SplitFunction`), name -> points.  An
    algorithmic task given by name is computed only at the lengths of ``ns`` it has inputs of
    (``task.feasible(n)``: addition needs n >= 4, interleaved majority a multiple of 3)."""
    from lengen.tasks import get_task

    out: dict[str, list[CommunicationPoint]] = {}
    for t in tasks:
        fn = t if isinstance(t, SplitFunction) else task_function(t)
        lengths = [n for n in ns if n >= 4] if fn.name == "addition" else list(ns)
        if isinstance(t, str) and get_task(t).kind == "algorithmic":
            lengths = [n for n in lengths if get_task(t).feasible(n)]
        out[fn.name] = communication_profile(fn, lengths, exhaustive_limit, samples, seed, columns)
    return out


def _cell(p: CommunicationPoint) -> str:
    if p.exact:
        return f"{p.rows}"
    return f"≥{p.rows}" + (f" (≈{p.estimate:.0f})" if p.estimate > 1.1 * p.rows else "")


def table_markdown(profiles: Mapping[str, Sequence[CommunicationPoint]]) -> str:
    """A Markdown table: one row per task, one column per n; sampled counts are marked ≥, with the
    collision estimate in parentheses where it is larger."""
    ns = sorted({p.n for pts in profiles.values() for p in pts})
    lines = ["| task | " + " | ".join(f"n={n}" for n in ns) + " | growth |", "|---" * (len(ns) + 2) + "|"]
    for name, pts in profiles.items():
        by = {p.n: p for p in pts}
        cells = [("" if n not in by else _cell(by[n])) for n in ns]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {growth(pts)} |")
    return "\n".join(lines)


def html_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain HTML table (cells escaped), for ``IPython.display.HTML``."""
    import html

    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def table_html(profiles: Mapping[str, Sequence[CommunicationPoint]], by_length: bool = False) -> str:
    """The table of :func:`table_markdown` as HTML; with ``by_length``, transposed: one row per n,
    one column per task, and the growth reading in the last row."""
    ns = sorted({p.n for pts in profiles.values() for p in pts})
    cells = {name: {p.n: _cell(p) for p in pts} for name, pts in profiles.items()}
    if by_length:
        rows = [[n, *(cells[name].get(n, "") for name in profiles)] for n in ns]
        rows.append(["growth", *(growth(pts) for pts in profiles.values())])
        return html_table(["n", *profiles], rows)
    rows = [[name, *(cells[name].get(n, "") for n in ns), growth(pts)] for name, pts in profiles.items()]
    return html_table(["task", *(f"n={n}" for n in ns), "growth"], rows)


def plot_communication(profiles: Mapping[str, Sequence[CommunicationPoint]], ax: Any = None, title: str | None = None) -> Any:
    """Distinct rows against n on a log scale, one line per task, each with its own colour
    (Okabe-Ito), marker and line style.  Filled markers: exact counts; open markers: sampled
    points, drawn at :attr:`CommunicationPoint.estimate`.  Returns the matplotlib figure."""
    import matplotlib.pyplot as plt

    from ..plots import LINESTYLES, MARKERS, OKABE_ITO

    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    else:
        fig = ax.figure
    for k, (name, pts) in enumerate(profiles.items()):
        colour, marker = OKABE_ITO[k % len(OKABE_ITO)], MARKERS[k % len(MARKERS)]
        xs = [p.n for p in pts]
        ys = [max(p.estimate, 1.0) for p in pts]
        ax.plot(xs, ys, LINESTYLES[k % len(LINESTYLES)], color=colour, lw=1.5, label=name)
        ex = [(p.n, max(p.estimate, 1.0)) for p in pts if p.exact]
        sa = [(p.n, max(p.estimate, 1.0)) for p in pts if not p.exact]
        if ex:
            ax.plot(*zip(*ex), marker, color=colour, ms=5)
        if sa:
            ax.plot(*zip(*sa), marker, mfc="white", color=colour, ms=5)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("input length n (Alice holds the first n/2 symbols)")
    ax.set_ylabel("distinct rows of the communication matrix")
    ax.set_title(title or "One-way communication: distinct rows (log scale)")
    ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return fig


def target_function(target: Any) -> SplitFunction:
    """f(w) = the label of the whole word w for a :class:`~lengen.identify.targets.Target`
    (membership for a language or a task file), on every word over its alphabet."""
    alphabet = tuple(target.alphabet)
    uniform = _uniform(alphabet)

    def sample(rng: np.random.Generator, n: int, k: int) -> list[Word]:
        pos = [tuple(w) for w in target.positives(rng, n, k // 2)]
        return uniform(rng, n, k - len(pos)) + pos

    return SplitFunction(target.name, alphabet, lambda w: target.label(tuple(w)), lambda n: _words(alphabet, n),
                         lambda n: len(alphabet) ** n, sample, f"the label of {target.name}")
