"""A small catalog of targets for demonstrating the idealized learner, each with its search settings.

Every entry names a target (:mod:`lengen.identify.targets`), the fragment searched, the search
bounds, and whether the fragment holds a program for the target (so that the learner's choice
settles, by the book's program-level version of identifiability in the limit) or not (the choice
never settles).  The bounds are small enough that a search for n up to 10 takes about a second
on one CPU core; they are the settings of the book's identifiability chapter and of
:mod:`lengen.widgets.identify_view`.

>>> from lengen.identify.examples import EXAMPLES, identification
>>> table = identification("majority", range(1, 5))
>>> table.length_complexity
2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .identification import IdentificationTable, identification_table
from .search import SearchResult, search
from .targets import Target, TaskMembershipTarget, answer_target, predicate_target


def _more_a_than_b(s: str) -> bool:
    return s.count("a") > s.count("b")


@dataclass(frozen=True)
class DemoTarget:
    """One catalog entry: the target, the fragment and bounds searched, and what the theory says.

    ``expressible``: whether a program of ``fragment`` within ``max_size`` computes the target
    (then the learner's choice settles); ``reason`` says why or why not."""

    key: str
    title: str
    make: Callable[[], Target]
    fragment: str
    max_size: int
    expressible: bool
    reason: str
    search_kw: dict[str, Any] = field(default_factory=dict)

    def target(self) -> Target:
        return self.make()

    @property
    def label(self) -> str:
        """``title, fragment`` for menus and legends."""
        return f"{self.title}, {self.fragment}"


EXAMPLES: dict[str, DemoTarget] = {
    d.key: d
    for d in [
        DemoTarget("majority", "more a's than b's", lambda: predicate_target(_more_a_than_b, "ab", "more a than b"),
                   "C-RASP[]", 8, True, "compare two counts: #[j <= i] Q(b) < #[j <= i] Q(a)"),
        DemoTarget("tomita1", "Tomita-1: 1*", lambda: TaskMembershipTarget("tomita1"), "C-RASP[]", 8, True,
                   "no 0 so far: #[j <= i] Q(0) <= 0"),
        DemoTarget("tomita2", "Tomita-2: (10)*", lambda: TaskMembershipTarget("tomita2"), "C-RASP[]", 12, True,
                   "alternation checked with nested counts (depth 2)"),
        DemoTarget("aa_star", "(aa)*", lambda: TaskMembershipTarget("aa_star"), "C-RASP[periodic]", 8, True,
                   "the parity of the length, from the phase of <bos>", {"moduli": (2,)}),
        DemoTarget("tomita4", "Tomita-4: no 000", lambda: TaskMembershipTarget("tomita4"), "C-RASP[local]", 8, True,
                   "a window of three positions (local counts up to distance 2)", {"max_distance": 2}),
        DemoTarget("aa_star_nope", "(aa)*", lambda: TaskMembershipTarget("aa_star"), "C-RASP[]", 12, False,
                   "without positions every program is eventually constant on <bos> a^n"),
        DemoTarget("parity", "parity of the 1s", lambda: answer_target("parity"), "C-RASP[periodic, local]", 9, False,
                   "the paper lists no C-RASP program for parity, with or without positions",
                   {"moduli": (2,), "max_distance": 1}),
    ]
}

#: The entry and bound the widget shows first.
DEFAULT_KEY = "tomita4"
DEFAULT_N = 4


def get_example(key: str) -> DemoTarget:
    """The catalog entry ``key`` (a ``KeyError`` names the known keys)."""
    try:
        return EXAMPLES[key]
    except KeyError:
        raise KeyError(f"unknown example {key!r}; known: {', '.join(EXAMPLES)}") from None


def search_example(key: str, n: int, time_limit: float | None = None, **kw: Any) -> SearchResult:
    """:func:`~lengen.identify.search.search` on the catalog entry ``key`` with its settings
    (keywords override them)."""
    d = get_example(key)
    args: dict[str, Any] = {"max_size": d.max_size, **d.search_kw, **kw}
    return search(d.target(), n, d.fragment, time_limit=time_limit, **args)


def identification(key: str, ns: Sequence[int] | range, time_limit: float | None = None,
                   **kw: Any) -> IdentificationTable:
    """:func:`~lengen.identify.identification.identification_table` on the catalog entry ``key``
    with its settings (keywords override them)."""
    d = get_example(key)
    args: dict[str, Any] = {"max_size": d.max_size, **d.search_kw, **kw}
    return identification_table(d.target(), ns, d.fragment, time_limit=time_limit, **args)
