"""The core abstract syntax of C-RASP[periodic, local], and :class:`Program`.

Everything the parser accepts is translated ("desugared") into the nodes of this module, so an
interpreter, a compiler or a printer only has to handle these.  Each node is an immutable
dataclass; equality ignores source locations.

Semantics
---------
A program runs on a string ``w = w_1 ... w_n``.  Positions are **1-based**: the first token is at
position 1.  Every expression denotes a function of one position ``i`` (1 <= i <= n) to a Boolean
or to an integer ("count").  ``offset`` (default 0) shifts positions only for periodic predicates:
position ``p`` of the string is the absolute position ``offset + p``.

Boolean nodes (type :attr:`Type.BOOL`):

==================  =================================  ============================================
node                written                            true at position i iff
==================  =================================  ============================================
``Token(a)``        ``Q(a)``                           w_i = a
``BoolConst(v)``    ``true`` / ``false``               v
``Periodic(m, r)``  ``i % m == r``                     (offset + i) mod m = r   (m >= 1, 0 <= r < m)
``Not(P)``          ``not P``                          P is false at i
``And(P1, P2)``     ``P1 and P2``                      both hold at i
``Or(P1, P2)``      ``P1 or P2``                       at least one holds at i
``Compare(op,C1,C2)`` ``C1 op C2``                      the integers C1(i), C2(i) satisfy op, one of
                                                       ``<  <=  ==  !=  >  >=``
``BoolRef(name)``   ``name``                           the named Boolean definition holds at i
==================  =================================  ============================================

Count nodes (type :attr:`Type.COUNT`, values are integers, possibly negative):

========================  =============================  ==========================================
node                      written                        value at position i
========================  =============================  ==========================================
``Count(P, ALL)``         ``#[j <= i] P``                |{j : 1 <= j <= i, P holds at j}|
``Count(P, shift(k))``    ``#[j <= i, j == i - k] P``    1 if i - k >= 1 and P holds at i - k, else 0
``Count(P, window(k))``   ``#[j <= i, i - j <= k] P``    |{j : max(1, i - k) <= j <= i, P at j}|
``CountConst(c)``         ``c``                          c
``Add(C1, C2)``           ``C1 + C2``                    C1(i) + C2(i)
``Sub(C1, C2)``           ``C1 - C2``                    C1(i) - C2(i)
``Scale(k, C)``           ``k * C``                      k * C(i)   (k an integer literal)
``Cond(P, C1, C2)``       ``P ? C1 : C2``                C1(i) if P holds at i, else C2(i)
``CountRef(name)``        ``name``                       the named count definition at i
========================  =============================  ==========================================

A count counts **positions of the string only**: j ranges over 1..i, never over positions before
the string, whatever the offset.  Inside ``#[j <= i] P`` the Boolean ``P`` is evaluated at the
counted position j -- in particular a periodic predicate in ``P`` tests j, not i (it is written
``j % m == r`` there).

Fragments: a program that uses a :class:`Periodic` node needs *periodic*; a program with a
``Count`` whose relation is not ``ALL`` needs *local*; the smallest fragment containing the
program is one of ``C-RASP[]``, ``C-RASP[periodic]``, ``C-RASP[local]`` and
``C-RASP[periodic, local]``.

Measures (see :meth:`Program.info`):

* **depth** -- the largest number of ``Count`` nodes on a path from a definition down to a
  ``Token``/constant/periodic leaf, following references into the definitions they name.
  A program without counts has depth 0; ``#[j <= i] Q(a)`` has depth 1.
* **size** -- the number of core operations: every node of the desugared syntax trees of all
  definitions, except references to names (a named definition is counted once, where it is
  defined).  ``exists[j <= i] Q(a)`` desugars to ``#[j <= i] Q(a) >= 1`` and has size 4
  (``Token``, ``Count``, ``CountConst``, ``Compare``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Iterator, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .traces import Trace


class Type(enum.Enum):
    """The two types of C-RASP: Booleans and counts (integers)."""

    BOOL = "bool"
    COUNT = "count"

    def __str__(self) -> str:
        return "Boolean" if self is Type.BOOL else "count"


Loc = tuple[int, int]


@dataclass(frozen=True)
class Node:
    """Base class of all nodes.  ``loc`` is the (line, column) of the node's first character in
    the source, or ``None`` for nodes built in Python; it is ignored by ``==``."""

    type: ClassVar[Type]
    loc: Loc | None = field(default=None, compare=False, repr=False, kw_only=True)

    def children(self) -> tuple["Node", ...]:
        """The direct sub-expressions, left to right."""
        return ()

    def walk(self) -> Iterator["Node"]:
        """This node and all nodes below it (pre-order), not following references."""
        yield self
        for c in self.children():
            yield from c.walk()

    def __str__(self) -> str:
        return format_expr(self)


# ---------------------------------------------------------------------------------------------
# Boolean nodes


@dataclass(frozen=True)
class BoolExpr(Node):
    type: ClassVar[Type] = Type.BOOL


@dataclass(frozen=True)
class Token(BoolExpr):
    """``Q(token)``: the symbol at the position is ``token``."""

    token: str


@dataclass(frozen=True)
class BoolConst(BoolExpr):
    """``true`` or ``false``."""

    value: bool


@dataclass(frozen=True)
class Periodic(BoolExpr):
    """``i % modulus == residue``: the (absolute, 1-based) position is congruent to ``residue``."""

    modulus: int
    residue: int

    def __post_init__(self) -> None:
        if self.modulus < 1 or not 0 <= self.residue < self.modulus:
            raise ValueError(f"periodic predicate needs m >= 1 and 0 <= r < m, got m={self.modulus}, r={self.residue}")


@dataclass(frozen=True)
class Not(BoolExpr):
    arg: BoolExpr

    def children(self) -> tuple[Node, ...]:
        return (self.arg,)


@dataclass(frozen=True)
class And(BoolExpr):
    left: BoolExpr
    right: BoolExpr

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Or(BoolExpr):
    left: BoolExpr
    right: BoolExpr

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


COMPARISONS = ("<", "<=", "==", "!=", ">", ">=")


@dataclass(frozen=True)
class Compare(BoolExpr):
    """``left op right`` for counts, ``op`` one of :data:`COMPARISONS`."""

    op: str
    left: "CountExpr"
    right: "CountExpr"

    def __post_init__(self) -> None:
        if self.op not in COMPARISONS:
            raise ValueError(f"unknown comparison {self.op!r}")

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class BoolRef(BoolExpr):
    """A reference to an earlier Boolean definition."""

    name: str


# ---------------------------------------------------------------------------------------------
# Count nodes


@dataclass(frozen=True)
class CountExpr(Node):
    type: ClassVar[Type] = Type.COUNT


@dataclass(frozen=True)
class Relation:
    """Which j <= i a count ranges over.

    * ``Relation("all")`` -- every j with 1 <= j <= i (plain C-RASP);
    * ``Relation("shift", k)`` -- only j = i - k (local; ``#[j <= i, j == i - k]``);
    * ``Relation("window", k)`` -- the j with i - k <= j <= i (local; ``#[j <= i, i - j <= k]``).
    """

    kind: str = "all"
    k: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("all", "shift", "window"):
            raise ValueError(f"unknown relation kind {self.kind!r}")
        if self.k < 0:
            raise ValueError("a local relation needs a distance k >= 0")
        if self.kind == "all" and self.k != 0:
            raise ValueError("the relation 'all' takes no distance")

    @property
    def is_local(self) -> bool:
        return self.kind != "all"

    def holds(self, i: int, j: int) -> bool:
        """Whether position j is counted at position i (both 1-based)."""
        if not 1 <= j <= i:
            return False
        if self.kind == "shift":
            return j == i - self.k
        if self.kind == "window":
            return i - j <= self.k
        return True

    def __str__(self) -> str:
        if self.kind == "shift":
            return "j <= i, j == i" + (f" - {self.k}" if self.k else "")
        if self.kind == "window":
            return f"j <= i, i - j <= {self.k}"
        return "j <= i"


ALL = Relation("all")


def shift(k: int) -> Relation:
    """The local relation j = i - k."""
    return Relation("shift", k)


def window(k: int) -> Relation:
    """The local relation i - k <= j <= i."""
    return Relation("window", k)


@dataclass(frozen=True)
class Count(CountExpr):
    """``#[relation] body``: how many j <= i related to i satisfy ``body`` (evaluated at j)."""

    body: BoolExpr
    relation: Relation = ALL

    def children(self) -> tuple[Node, ...]:
        return (self.body,)


@dataclass(frozen=True)
class CountConst(CountExpr):
    value: int


@dataclass(frozen=True)
class Add(CountExpr):
    left: CountExpr
    right: CountExpr

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Sub(CountExpr):
    left: CountExpr
    right: CountExpr

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Scale(CountExpr):
    """``factor * arg`` with an integer constant ``factor``."""

    factor: int
    arg: CountExpr

    def children(self) -> tuple[Node, ...]:
        return (self.arg,)


@dataclass(frozen=True)
class Cond(CountExpr):
    """``test ? then : orelse``."""

    test: BoolExpr
    then: CountExpr
    orelse: CountExpr

    def children(self) -> tuple[Node, ...]:
        return (self.test, self.then, self.orelse)


@dataclass(frozen=True)
class CountRef(CountExpr):
    """A reference to an earlier count definition."""

    name: str


Ref = (BoolRef, CountRef)


def ref(name: str, type: Type, loc: Loc | None = None) -> Node:
    """A reference node of the given type."""
    return BoolRef(name, loc=loc) if type is Type.BOOL else CountRef(name, loc=loc)


# ---------------------------------------------------------------------------------------------
# Printing (canonical concrete syntax, with the fewest parentheses the grammar needs)

# Binding strength, loosest first (matches the parser): ?: < or < and < not < comparison/periodic
# < + - < * < atoms (Q, constants, names, #[...] P).
_PREC = {Cond: 1, Or: 2, And: 3, Not: 4, Compare: 5, Periodic: 5, Add: 6, Sub: 6, Scale: 7}
_ATOM = 8


def _prec(node: Node) -> int:
    if isinstance(node, CountConst) and node.value < 0:
        return 7  # printed as "-c", a unary minus
    return _PREC.get(type(node), _ATOM)


def format_expr(node: Node, var: str = "i") -> str:
    """Concrete syntax for ``node``.  ``var`` is the name of the position at which ``node`` is
    evaluated: ``"i"`` for a definition's right-hand side, ``"j"`` inside a count body."""

    def wrap(child: Node, min_prec: int, v: str = var) -> str:
        s = format_expr(child, v)
        return f"({s})" if _prec(child) < min_prec else s

    if isinstance(node, Token):
        return f"Q({quote_token(node.token)})"
    if isinstance(node, BoolConst):
        return "true" if node.value else "false"
    if isinstance(node, Periodic):
        return f"{var} % {node.modulus} == {node.residue}"
    if isinstance(node, (BoolRef, CountRef)):
        return node.name
    if isinstance(node, Not):
        return f"not {wrap(node.arg, 4)}"
    if isinstance(node, And):
        return f"{wrap(node.left, 3)} and {wrap(node.right, 4)}"
    if isinstance(node, Or):
        return f"{wrap(node.left, 2)} or {wrap(node.right, 3)}"
    if isinstance(node, Compare):
        return f"{wrap(node.left, 6)} {node.op} {wrap(node.right, 6)}"
    if isinstance(node, Count):
        body = format_expr(node.body, "j")
        if not isinstance(node.body, (Token, BoolConst, BoolRef)):
            body = f"({body})"
        return f"#[{node.relation}] {body}"
    if isinstance(node, CountConst):
        return str(node.value)
    if isinstance(node, Add):
        return f"{wrap(node.left, 6)} + {wrap(node.right, 7)}"
    if isinstance(node, Sub):
        return f"{wrap(node.left, 6)} - {wrap(node.right, 7)}"
    if isinstance(node, Scale):
        return f"{node.factor} * {wrap(node.arg, 8)}"
    if isinstance(node, Cond):
        return f"{wrap(node.test, 2)} ? {wrap(node.then, 1)} : {wrap(node.orelse, 1)}"
    raise TypeError(f"not a C-RASP node: {node!r}")


# ---------------------------------------------------------------------------------------------
# Programs


OUTPUT_PREFIX = "next_"
ACCEPT = "accept"

_WORD = re.compile(r"[A-Za-z0-9_]+|<[A-Za-z0-9_]+>")

#: Reserved words, which cannot be definition names.
KEYWORDS = frozenset({"not", "and", "or", "true", "false", "exists", "forall", "Q", "i", "j", "pos"})
#: Definition names: a letter or _, then letters, digits, _, and after an _ possibly an
#: angle-bracketed word (``next_<eos>``) or a quoted token (``next_")"``).
NAME_RE = re.compile(r'[A-Za-z_](?:[A-Za-z0-9_]|(?<=_)<[A-Za-z0-9_]+>|(?<=_)"[^"\s]+")*')


def is_name(text: str) -> bool:
    """Whether ``text`` can name a definition."""
    return NAME_RE.fullmatch(text) is not None and text not in KEYWORDS


def quote_token(token: str) -> str:
    """How ``token`` is written inside ``Q(...)``: as is, or quoted when it contains ``)``,
    spaces or starts with a quote."""
    if ")" in token or token[:1] in "\"'" or any(c.isspace() for c in token):
        return "'" + token + "'" if '"' in token else '"' + token + '"'
    return token


def output_name(token: str, prefix: str = OUTPUT_PREFIX) -> str:
    """The definition name that outputs ``token``: ``next_a``, ``next_17``, ``next_<eos>``, and
    for tokens that are not words ``next_")"`` (the token in double quotes)."""
    if _WORD.fullmatch(token):
        return prefix + token
    if '"' in token or any(c.isspace() for c in token):
        raise ValueError(f"token {token!r} cannot be named in an output definition")
    return f'{prefix}"{token}"'


def output_token(name: str, prefix: str = OUTPUT_PREFIX) -> str | None:
    """The token an output definition name refers to (inverse of :func:`output_name`), or None."""
    if not name.startswith(prefix) or len(name) <= len(prefix):
        return None
    rest = name[len(prefix):]
    if len(rest) >= 3 and rest[0] == '"' and rest[-1] == '"':
        return rest[1:-1]
    return rest


@dataclass(frozen=True)
class Definition:
    """``name := expr`` on source line ``line`` (None when built in Python)."""

    name: str
    expr: Node
    line: int | None = field(default=None, compare=False)

    @property
    def type(self) -> Type:
        return self.expr.type

    def __str__(self) -> str:
        return f"{self.name} := {format_expr(self.expr)}"


FRAGMENTS = ("C-RASP[]", "C-RASP[periodic]", "C-RASP[local]", "C-RASP[periodic, local]")


def fragment_name(periodic: bool, local: bool) -> str:
    """The name of the fragment with (or without) periodic predicates and local counts."""
    return FRAGMENTS[int(periodic) + 2 * int(local)]


def fragment_contains(outer: str, inner: str) -> bool:
    """Whether every program of fragment ``inner`` is also in fragment ``outer``."""
    a, b = FRAGMENTS.index(outer), FRAGMENTS.index(inner)
    return (a | b) == a


@dataclass(frozen=True)
class ProgramInfo:
    """Measures of a program; see the module docstring for the definitions of depth and size."""

    fragment: str
    periodic: bool
    local: bool
    depth: int
    size: int
    n_definitions: int
    outputs: tuple[str, ...]
    tokens: tuple[str, ...]
    moduli: tuple[int, ...]
    max_distance: int | None

    def as_dict(self) -> dict:
        return {
            "fragment": self.fragment,
            "periodic": self.periodic,
            "local": self.local,
            "depth": self.depth,
            "size": self.size,
            "definitions": self.n_definitions,
            "outputs": list(self.outputs),
            "tokens": list(self.tokens),
            "moduli": list(self.moduli),
            "max_distance": self.max_distance,
        }


class Program:
    """A checked C-RASP program: definitions in order, each using only earlier names.

    Build one with :func:`lengen.crasp.parse` (from text) or directly from
    :class:`Definition` objects (the constructor checks types and the order of names).

    ``vocab`` (optional) is the set of tokens inputs may contain; ``name`` is a label for
    messages (e.g. the file name).
    """

    def __init__(
        self,
        definitions: Sequence[Definition],
        vocab: Sequence[str] | None = None,
        name: str | None = None,
        source: str | None = None,
    ) -> None:
        self.definitions: tuple[Definition, ...] = tuple(definitions)
        self.vocab: tuple[str, ...] | None = tuple(vocab) if vocab is not None else None
        self.name = name
        self.source = source
        self._by_name: dict[str, Definition] = {}
        for d in self.definitions:
            if not is_name(d.name):
                raise ValueError(f"{d.name!r} is not a valid definition name")
            if d.name in self._by_name:
                raise ValueError(f"{d.name!r} is defined twice")
            _check_node(d.expr, self._by_name, d.name)
            self._by_name[d.name] = d
        self._info: ProgramInfo | None = None

    # -- access ------------------------------------------------------------------------------
    def __getitem__(self, name: str) -> Definition:
        return self._by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Definition]:
        return iter(self.definitions)

    def __len__(self) -> int:
        return len(self.definitions)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.definitions]

    @property
    def tokens(self) -> list[str]:
        """The tokens tested by ``Q(...)`` somewhere in the program, in order of first use."""
        seen: dict[str, None] = {}
        for d in self.definitions:
            for n in d.expr.walk():
                if isinstance(n, Token):
                    seen.setdefault(n.token, None)
        return list(seen)

    def outputs(self, prefix: str = OUTPUT_PREFIX) -> dict[str, str]:
        """Output definitions: token -> definition name, for the Boolean definitions named
        ``prefix + token`` (``next_a``, ``next_<eos>``, ``next_")"``; see :func:`output_name`)."""
        out: dict[str, str] = {}
        for d in self.definitions:
            tok = output_token(d.name, prefix)
            if tok is not None and d.type is Type.BOOL:
                out[tok] = d.name
        return out

    # -- measures ----------------------------------------------------------------------------
    def info(self) -> ProgramInfo:
        """Fragment, depth, size and other measures (see the module docstring)."""
        if self._info is None:
            self._info = _info(self)
        return self._info

    @property
    def fragment(self) -> str:
        return self.info().fragment

    # -- evaluation (see lengen.crasp.interpreter) ------------------------------------------
    def evaluate(
        self, batch: "Sequence[str | Sequence[str]] | np.ndarray", offset: "int | Sequence[int]" = 0
    ) -> "dict[str, np.ndarray]":
        """Values of every definition on a batch of equal-length strings; see
        :func:`lengen.crasp.interpreter.evaluate`."""
        from .interpreter import evaluate

        return evaluate(self, batch, offset)

    def evaluate_ragged(
        self, strings: "Sequence[str | Sequence[str]]", offset: "int | Sequence[int]" = 0
    ) -> "list[dict[str, np.ndarray]]":
        """Values of every definition on strings of different lengths; see
        :func:`lengen.crasp.interpreter.evaluate_ragged`."""
        from .interpreter import evaluate_ragged

        return evaluate_ragged(self, strings, offset)

    def trace(self, tokens: "str | Sequence[str]", offset: int = 0) -> "Trace":
        """A :class:`lengen.crasp.traces.Trace` of one string (tokens as a list or a
        whitespace-separated string)."""
        from .traces import trace

        return trace(self, tokens, offset)

    # -- text --------------------------------------------------------------------------------
    def to_text(self) -> str:
        """The program in canonical (desugared) concrete syntax, one definition per line."""
        return "".join(f"{d}\n" for d in self.definitions)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        i = self.info()
        label = f"{self.name!r}, " if self.name else ""
        return f"<Program {label}{len(self)} definitions, {i.fragment}, depth {i.depth}, size {i.size}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Program) and self.definitions == other.definitions

    __hash__ = None  # type: ignore[assignment]


def _check_node(node: Node, env: Mapping[str, Definition], where: str) -> None:
    """Type and scope check for programs built in Python (the parser reports errors itself)."""
    for n in node.walk():
        if isinstance(n, (BoolRef, CountRef)):
            if n.name not in env:
                raise ValueError(f"in {where!r}: {n.name!r} is not defined before use")
            if env[n.name].type is not n.type:
                raise ValueError(f"in {where!r}: {n.name!r} is a {env[n.name].type}, used as a {n.type}")
        expected: tuple[tuple[Node, Type], ...] = ()
        if isinstance(n, (Not, And, Or)):
            expected = tuple((c, Type.BOOL) for c in n.children())
        elif isinstance(n, Compare):
            expected = ((n.left, Type.COUNT), (n.right, Type.COUNT))
        elif isinstance(n, Count):
            expected = ((n.body, Type.BOOL),)
        elif isinstance(n, (Add, Sub)):
            expected = ((n.left, Type.COUNT), (n.right, Type.COUNT))
        elif isinstance(n, Scale):
            expected = ((n.arg, Type.COUNT),)
        elif isinstance(n, Cond):
            expected = ((n.test, Type.BOOL), (n.then, Type.COUNT), (n.orelse, Type.COUNT))
        for c, t in expected:
            if not isinstance(c, Node) or c.type is not t:
                raise ValueError(f"in {where!r}: {type(n).__name__} needs a {t} operand, got {c!r}")


def _info(program: Program) -> ProgramInfo:
    depth_of: dict[str, int] = {}

    def depth(node: Node) -> int:
        if isinstance(node, (BoolRef, CountRef)):
            return depth_of[node.name]
        d = max((depth(c) for c in node.children()), default=0)
        return d + 1 if isinstance(node, Count) else d

    size = 0
    periodic = local = False
    moduli: set[int] = set()
    distances: list[int] = []
    for d in program.definitions:
        depth_of[d.name] = depth(d.expr)
        for n in d.expr.walk():
            if isinstance(n, (BoolRef, CountRef)):
                continue
            size += 1
            if isinstance(n, Periodic):
                periodic = True
                moduli.add(n.modulus)
            elif isinstance(n, Count) and n.relation.is_local:
                local = True
                distances.append(n.relation.k)
    outs = list(program.outputs(OUTPUT_PREFIX).values())
    if ACCEPT in program and program[ACCEPT].type is Type.BOOL:
        outs.append(ACCEPT)
    return ProgramInfo(
        fragment=fragment_name(periodic, local),
        periodic=periodic,
        local=local,
        depth=max(depth_of.values(), default=0),
        size=size,
        n_definitions=len(program.definitions),
        outputs=tuple(outs),
        tokens=tuple(program.tokens),
        moduli=tuple(sorted(moduli)),
        max_distance=max(distances) if distances else None,
    )
