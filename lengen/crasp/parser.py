"""The concrete syntax of C-RASP programs: a lexer and a recursive-descent parser.

A program is a sequence of definitions, one per line::

    // binary majority: is there a strict majority of 1s so far?
    ones  := #[j <= i] Q(1)
    zeros := #[j <= i] Q(0)
    next_1 := ones > zeros

* ``//`` starts a comment that runs to the end of the line.
* A definition is ``name := expression``.  A long definition may continue on following lines
  that are **indented** (start with a space or tab); a line that starts in column 1 must begin
  a new definition.
* A definition may use only names defined on earlier lines.
* Names: a letter or ``_``, then letters, digits and ``_``; a name may also contain an
  angle-bracketed token right after an underscore, so that output definitions can name special
  tokens: ``next_<eos>``, ``next_<sep>``.  Reserved words (``not and or true false exists forall
  Q i j pos``) cannot be names.
* Tokens are written inside ``Q(...)`` exactly as they appear in the input: ``Q(a)``, ``Q(0)``,
  ``Q(149)``, ``Q(<bos>)``, ``Q(+)``, ``Q(()``; everything between the parentheses, without
  surrounding spaces, is the token.  A token containing ``)`` is quoted: ``Q(")")``.
* A name may also end in a quoted token after an underscore, for output definitions of tokens
  that are not words: ``next_")"``, ``next_"["`` (see :func:`output_name`).

Grammar, from the loosest to the tightest binding (``B`` = Boolean, ``C`` = count)::

    expr     := or ['?' expr ':' expr]              -- B ? C : C   (right-associative; lowest)
    or       := and ('or' and)*                     -- B or B
    and      := not ('and' not)*                    -- B and B
    not      := 'not' not | cmp                     -- not B
    cmp      := sum [cmpop sum]                     -- C < C, C <= C, C == C, C != C, C > C, C >= C
                                                       (not chainable: a < b < c is an error)
    sum      := product (('+' | '-') product)*      -- C + C, C - C (left-associative)
    product  := unary ('*' unary)*                  -- k * C or C * k, k an integer constant
    unary    := '-' unary | atom                    -- -C means (-1) * C
    atom     := INT | 'true' | 'false' | 'Q(' token ')' | name | '(' expr ')'
              | '#' '[' rel ']' body                -- count (a count atom)
              | 'exists' '[' rel ']' body           -- sugar: #[rel] body >= 1
              | 'forall' '[' rel ']' body           -- sugar: #[rel] (not body) == 0
              | pos '%' INT ('==' | '!=') INT       -- periodic predicate (!= is sugar for not ==)
    body     := 'not' body | 'Q(' token ')' | 'true' | 'false' | name | '(' expr ')'
              | 'exists' '[' rel ']' body | 'forall' '[' rel ']' body
    rel      := 'j' '<=' 'i' [',' local]
    local    := 'j' '==' 'i' '-' INT  |  'j' '==' 'i'  |  'i' '-' 'j' '==' INT   -- only j = i - k
              | 'i' '-' 'j' '<=' INT  |  'j' '>=' 'i' '-' INT                      -- i - k <= j <= i
    pos      := 'i' | 'j' | 'pos'

So ``not`` binds tighter than ``and``, which binds tighter than ``or``; comparisons bind tighter
than ``not`` (``not a < b`` is ``not (a < b)``); arithmetic binds tighter than comparisons; and
the conditional ``?:`` binds loosest (``P ? C1 : C2 + 1`` is ``P ? C1 : (C2 + 1)``; write
``(P ? C1 : C2) < 3`` to compare a conditional).  ``#[...] P`` takes a Boolean atom or a
parenthesized expression: ``#[j <= i] Q(a) + 1`` is ``(#[j <= i] Q(a)) + 1`` and
``#[j <= i] (Q(a) or Q(b))`` needs its parentheses.

Positions in periodic predicates: ``i % m == r`` tests the position at which the Boolean is
evaluated.  Outside counts that position is written ``i``; inside the body of ``#[j <= i] ...``
it is the counted position and is written ``j`` (``pos`` may be used in both places).  Writing
``i`` inside a count body is an error, because a count body is a predicate of j alone.

Types are checked while parsing; every error carries the line and column (see
:mod:`lengen.crasp.errors`).  The parser returns the desugared core syntax of
:mod:`lengen.crasp.ast`.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .ast import (
    ALL,
    COMPARISONS,
    KEYWORDS,
    NAME_RE,
    And,
    BoolConst,
    Compare,
    Cond,
    Count,
    CountConst,
    Definition,
    Node,
    Not,
    Or,
    Periodic,
    Program,
    Relation,
    Scale,
    Sub,
    Add,
    Token,
    Type,
    format_expr,
    output_token,
    ref,
    shift,
    window,
)
from .errors import (
    CRASPError,
    CRASPSyntaxError,
    CRASPTypeError,
    DuplicateDefinitionError,
    UnknownNameError,
    UseBeforeDefinitionError,
    VocabularyError,
)


# One lexer for program text: names use the same pattern as ``ast.NAME_RE`` (what ``is_name``
# accepts), so the parser and the programs built in code (e.g. by the program search) agree on them.
_LEX = re.compile(
    r"""
    (?P<ws>[ \t\r\f]+)
  | (?P<name>""" + NAME_RE.pattern + r""")
  | (?P<int>[0-9]+)
  | (?P<op>:=|<=|>=|==|!=|[-+*%<>()\[\],\#?:=])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Lexeme:
    kind: str  # "name", "kw", "int", "op", "tok" (the token inside Q(...)), "eol"
    text: str
    line: int
    col: int

    def describe(self) -> str:
        if self.kind == "eol":
            return "the end of the definition"
        if self.kind == "tok":
            return f"'Q({self.text})'"
        return f"'{self.text}'"


def _strip_comment(line: str) -> str:
    k = line.find("//")
    return line if k < 0 else line[:k]


def _lex_line(text: str, lineno: int) -> list[Lexeme]:
    out: list[Lexeme] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _LEX.match(text, pos)
        if m is None:
            raise CRASPSyntaxError(f"unexpected character {text[pos]!r}", lineno, pos + 1)
        kind = m.lastgroup
        s = m.group()
        if kind == "ws":
            pos = m.end()
            continue
        if kind == "name" and s == "Q":
            k = m.end()
            while k < n and text[k] in " \t":
                k += 1
            if k < n and text[k] == "(":
                q = k + 1
                while q < n and text[q] in " \t":
                    q += 1
                if q < n and text[q] in "\"'":  # a quoted token: Q(")"), Q('a b') is refused below
                    endq = text.find(text[q], q + 1)
                    if endq < 0:
                        raise CRASPSyntaxError(f"expected a closing {text[q]} in the quoted token", lineno, q + 1)
                    tok = text[q + 1 : endq]
                    close = endq + 1
                    while close < n and text[close] in " \t":
                        close += 1
                    if close >= n or text[close] != ")":
                        raise CRASPSyntaxError("expected ')' after the quoted token in Q(...)", lineno, close + 1)
                else:
                    close = text.find(")", k + 1)
                    if close < 0:
                        raise CRASPSyntaxError("expected ')' to close 'Q(' on the same line", lineno, k + 1)
                    tok = text[k + 1 : close].strip()
                if not tok:
                    raise CRASPSyntaxError("expected a token inside 'Q( )', e.g. Q(a) or Q(<bos>)", lineno, k + 2)
                if any(c.isspace() for c in tok):
                    raise CRASPSyntaxError(f"a token cannot contain spaces: 'Q({tok})'", lineno, k + 2)
                out.append(Lexeme("tok", tok, lineno, pos + 1))
                pos = close + 1
                continue
            raise CRASPSyntaxError("expected '(' after 'Q', as in Q(a)", lineno, pos + 1)
        if kind == "name" and s in KEYWORDS:
            kind = "kw"
        out.append(Lexeme(kind, s, lineno, pos + 1))
        pos = m.end()
    return out


@dataclass
class _Line:
    name: Lexeme
    body: list[Lexeme]
    line: int


def _split_definitions(text: str) -> list[_Line]:
    """Group the lexemes of ``text`` into definitions (a definition plus its indented continuation lines)."""
    defs: list[_Line] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        code = _strip_comment(raw)
        if not code.strip():
            continue
        lex = _lex_line(code, lineno)
        starts_def = len(lex) >= 2 and lex[1].text == ":=" and lex[1].kind == "op"
        if starts_def:
            head = lex[0]
            if head.kind == "kw":
                raise CRASPSyntaxError(f"'{head.text}' is a reserved word and cannot be a definition name", lineno, head.col)
            if head.kind != "name":
                raise CRASPSyntaxError(f"expected a name before ':=', found {head.describe()}", lineno, head.col)
            defs.append(_Line(head, lex[2:], lineno))
        elif code[0] in " \t" and defs:
            defs[-1].body.extend(lex)
        else:
            first = lex[0]
            if first.kind == "name" and len(lex) >= 2:
                found = lex[1].describe()
                msg = f"expected ':=' after the name '{first.text}', found {found}"
                raise CRASPSyntaxError(msg, lineno, lex[1].col)
            if first.kind == "name":
                raise CRASPSyntaxError(f"expected ':=' after the name '{first.text}'", lineno, first.col + len(first.text))
            raise CRASPSyntaxError(
                f"expected a definition 'name := expression', found {first.describe()}"
                " (a continuation line must be indented)",
                lineno,
                first.col,
            )
    return defs


class _Parser:
    """Parses the right-hand side of one definition into core syntax, checking types and names."""

    def __init__(
        self,
        lexemes: list[Lexeme],
        end: tuple[int, int],
        env: dict[str, Definition],
        later: dict[str, int],
        current: str,
        vocab: frozenset[str] | None,
    ) -> None:
        self.lex = lexemes + [Lexeme("eol", "", *end)]
        self.k = 0
        self.env = env
        self.later = later
        self.current = current
        self.vocab = vocab
        self.var = "i"  # the name of the position at which the current Boolean is evaluated

    # -- helpers -------------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Lexeme:
        return self.lex[min(self.k + ahead, len(self.lex) - 1)]

    def next(self) -> Lexeme:
        t = self.peek()
        self.k = min(self.k + 1, len(self.lex) - 1)
        return t

    def at(self, *texts: str) -> bool:
        t = self.peek()
        return t.kind in ("op", "kw") and t.text in texts

    def error(self, msg: str, t: Lexeme | None = None) -> CRASPSyntaxError:
        t = t or self.peek()
        return CRASPSyntaxError(msg, t.line, t.col)

    def expect(self, text: str, what: str | None = None) -> Lexeme:
        if not self.at(text):
            raise self.error(f"expected {what or repr(text)}, found {self.peek().describe()}")
        return self.next()

    def expect_int(self, what: str) -> tuple[int, Lexeme]:
        t = self.peek()
        if t.kind != "int":
            raise self.error(f"expected {what}, found {t.describe()}")
        self.next()
        return int(t.text), t

    @staticmethod
    def loc(t: Lexeme) -> tuple[int, int]:
        return (t.line, t.col)

    def need(self, node: Node, t: Type, context: str) -> Node:
        if node.type is not t:
            line, col = node.loc or (None, None)
            raise CRASPTypeError(
                f"{context} needs a {t}, but '{format_expr(node, self.var)}' is a {node.type}", line, col
            )
        return node

    # -- grammar -------------------------------------------------------------------------------
    def definition(self) -> Node:
        node = self.expr()
        t = self.peek()
        if t.kind != "eol":
            if t.text == ")" and t.kind == "op":
                raise self.error("unmatched ')'", t)
            raise self.error(f"expected an operator or the end of the definition, found {t.describe()}", t)
        return node

    def expr(self) -> Node:
        test = self.or_()
        if self.at("?"):
            self.next()
            self.need(test, Type.BOOL, "the condition of '?:'")
            then = self.expr()
            self.expect(":", "':' of the conditional 'P ? C1 : C2'")
            orelse = self.expr()
            self.need(then, Type.COUNT, "the first branch of '?:'")
            self.need(orelse, Type.COUNT, "the second branch of '?:'")
            return Cond(test, then, orelse, loc=test.loc)
        return test

    def _binary_bool(self, sub, word: str, cls) -> Node:  # type: ignore[no-untyped-def]
        left = sub()
        while self.at(word):
            self.next()
            right = sub()
            self.need(left, Type.BOOL, f"'{word}'")
            self.need(right, Type.BOOL, f"'{word}'")
            left = cls(left, right, loc=left.loc)
        return left

    def or_(self) -> Node:
        return self._binary_bool(self.and_, "or", Or)

    def and_(self) -> Node:
        return self._binary_bool(self.not_, "and", And)

    def not_(self) -> Node:
        if self.at("not"):
            t = self.next()
            arg = self.not_()
            self.need(arg, Type.BOOL, "'not'")
            return Not(arg, loc=self.loc(t))
        return self.cmp()

    def cmp(self) -> Node:
        left = self.sum()
        if self.at("="):
            raise self.error("'=' is not an operator: compare counts with '==' (and define names with ':=')")
        if self.at(*COMPARISONS):
            op = self.next()
            right = self.sum()
            self.need(left, Type.COUNT, f"the comparison '{op.text}'")
            self.need(right, Type.COUNT, f"the comparison '{op.text}'")
            if self.at(*COMPARISONS):
                raise self.error("comparisons cannot be chained; write (a < b) and (b < c)")
            return Compare(op.text, left, right, loc=left.loc)
        return left

    def sum(self) -> Node:
        left = self.product()
        while self.at("+", "-"):
            op = self.next()
            right = self.product()
            self.need(left, Type.COUNT, f"'{op.text}'")
            self.need(right, Type.COUNT, f"'{op.text}'")
            left = (Add if op.text == "+" else Sub)(left, right, loc=left.loc)
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.at("*"):
            op = self.next()
            right = self.unary()
            self.need(left, Type.COUNT, "'*'")
            self.need(right, Type.COUNT, "'*'")
            if isinstance(left, CountConst):
                left = Scale(left.value, right, loc=left.loc)
            elif isinstance(right, CountConst):
                left = Scale(right.value, left, loc=left.loc)
            else:
                raise CRASPTypeError(
                    "C-RASP multiplies a count only by an integer constant (k * C); "
                    "neither side of this '*' is a constant",
                    op.line,
                    op.col,
                )
        return left

    def unary(self) -> Node:
        if self.at("-"):
            t = self.next()
            arg = self.unary()
            self.need(arg, Type.COUNT, "unary '-'")
            if isinstance(arg, CountConst):
                return CountConst(-arg.value, loc=self.loc(t))
            return Scale(-1, arg, loc=self.loc(t))
        return self.atom()

    def atom(self) -> Node:
        t = self.peek()
        if t.kind == "int":
            self.next()
            return CountConst(int(t.text), loc=self.loc(t))
        if t.kind == "op" and t.text == "#":
            return self.count()
        if t.kind == "kw" and t.text in ("i", "j", "pos"):
            return self.periodic()
        if t.kind == "op" and t.text == "(":
            return self.paren()
        node = self.bool_primary(optional=True)
        if node is not None:
            return node
        raise self.error(
            f"expected an expression (Q(a), a name, a number, '#[j <= i] ...', '(' ...), found {t.describe()}"
        )

    def paren(self) -> Node:
        open_ = self.expect("(")
        inner = self.expr()
        if not self.at(")"):
            raise self.error(
                f"expected ')' to close the '(' at line {open_.line}, column {open_.col}, "
                f"found {self.peek().describe()}"
            )
        self.next()
        return inner

    def bool_primary(self, optional: bool = False) -> Node | None:
        """An atom usable as the body of a count (Boolean atoms, parenthesized expressions)."""
        t = self.peek()
        if t.kind == "tok":
            self.next()
            if self.vocab is not None and t.text not in self.vocab:
                raise VocabularyError(
                    f"token {t.text!r} is not in the vocabulary ({_show_vocab(self.vocab)})", t.line, t.col
                )
            return Token(t.text, loc=self.loc(t))
        if t.kind == "kw" and t.text in ("true", "false"):
            self.next()
            return BoolConst(t.text == "true", loc=self.loc(t))
        if t.kind == "kw" and t.text in ("exists", "forall"):
            return self.quantifier()
        if t.kind == "name":
            self.next()
            return self.resolve(t)
        if not optional:
            if t.kind == "kw" and t.text == "not":
                self.next()
                arg = self.bool_primary()
                assert arg is not None
                self.need(arg, Type.BOOL, "'not'")
                return Not(arg, loc=self.loc(t))
            if t.kind == "op" and t.text == "(":
                return self.paren()
            if t.kind == "kw" and t.text == "i":
                raise self.error(
                    "inside a count '#[j <= i] ...' the body is evaluated at the counted position j: "
                    "write '(j % m == r)' (or compute the predicate of i outside the count)"
                )
            if t.kind == "kw" and t.text in ("j", "pos"):
                raise self.error(f"a periodic predicate as a count body needs parentheses: #[j <= i] ({t.text} % m == r)")
            raise self.error(
                "expected a Boolean atom (Q(a), a name, true, false) or a parenthesized expression "
                f"after the count's brackets, found {t.describe()}"
            )
        return None

    def resolve(self, t: Lexeme) -> Node:
        name = t.text
        if name in self.env:
            return ref(name, self.env[name].type, loc=self.loc(t))
        if name == self.current:
            raise UseBeforeDefinitionError(f"'{name}' is used in its own definition", t.line, t.col)
        if name in self.later:  # defined on a later line (earlier lines are all in env)
            raise UseBeforeDefinitionError(
                f"'{name}' is used here but defined only on line {self.later[name]}; "
                "a definition may use only names defined on earlier lines",
                t.line,
                t.col,
            )
        hint = ""
        close = difflib.get_close_matches(name, list(self.env), n=1)
        if close:
            hint = f"; did you mean '{close[0]}'?"
        elif self.vocab is None or name in self.vocab:
            hint = f"; to test the token {name!r} write Q({name})"
        raise UnknownNameError(f"'{name}' is not defined{hint}", t.line, t.col)

    def relation(self) -> Relation:
        self.expect("[", "'[' after the count symbol")
        if not self.at("j"):
            raise self.error(f"expected 'j <= i' inside the brackets, found {self.peek().describe()}")
        self.next()
        if not self.at("<="):
            raise self.error(
                f"expected '<=' in 'j <= i' (C-RASP counts the positions j up to and including i), "
                f"found {self.peek().describe()}"
            )
        self.next()
        self.expect("i", "'i' in 'j <= i'")
        rel = ALL
        if self.at(","):
            comma = self.next()
            start = self.k
            parts = []
            while not self.at("]") and self.peek().kind != "eol":
                parts.append(self.next())
            words = ["K" if p.kind == "int" else p.text for p in parts]
            ints = [int(p.text) for p in parts if p.kind == "int"]
            shapes = {
                ("j", "==", "i", "-", "K"): "shift",
                ("j", "==", "i"): "shift0",
                ("i", "-", "j", "==", "K"): "shift",
                ("i", "-", "j", "<=", "K"): "window",
                ("j", ">=", "i", "-", "K"): "window",
            }
            shape = shapes.get(tuple(words))
            if shape is None:
                bad = self.lex[start] if start < len(self.lex) else comma
                raise self.error(
                    "expected a local relation 'j == i - k' or 'i - j <= k' (k a number) after ','", bad
                )
            rel = shift(0) if shape == "shift0" else (shift(ints[0]) if shape == "shift" else window(ints[0]))
        if not self.at("]"):
            raise self.error(f"expected ']' to close the count's brackets, found {self.peek().describe()}")
        self.next()
        return rel

    def count_body(self) -> Node:
        saved, self.var = self.var, "j"
        try:
            body = self.bool_primary()
        finally:
            self.var = saved
        assert body is not None
        if body.type is not Type.BOOL:
            raise CRASPTypeError(
                f"the body of a count must be a Boolean, but '{format_expr(body, 'j')}' is a count",
                *(body.loc or (None, None)),
            )
        return body

    def count(self) -> Node:
        t = self.expect("#")
        rel = self.relation()
        body = self.count_body()
        return Count(body, rel, loc=self.loc(t))

    def quantifier(self) -> Node:
        t = self.next()
        rel = self.relation()
        body = self.count_body()
        if t.text == "exists":  # exists[rel] P  :=  #[rel] P >= 1
            return Compare(">=", Count(body, rel, loc=self.loc(t)), CountConst(1, loc=self.loc(t)), loc=self.loc(t))
        # forall[rel] P  :=  #[rel] (not P) == 0
        return Compare(
            "==",
            Count(Not(body, loc=body.loc), rel, loc=self.loc(t)),
            CountConst(0, loc=self.loc(t)),
            loc=self.loc(t),
        )

    def periodic(self) -> Node:
        t = self.next()
        if t.text == "i" and self.var == "j":
            raise self.error(
                "inside a count '#[j <= i] ...' the body is evaluated at the counted position j: "
                "write 'j % m == r' (or compute the predicate of i outside the count)",
                t,
            )
        if t.text == "j" and self.var == "i":
            raise self.error("'j' is bound only inside '#[j <= i] ...'; here the position is 'i'", t)
        if not self.at("%"):
            raise self.error(
                f"a position can only appear in a periodic predicate '{t.text} % m == r' "
                f"(C-RASP has no other arithmetic on positions); expected '%', found {self.peek().describe()}"
            )
        self.next()
        m, mt = self.expect_int("the modulus m in 'i % m == r'")
        if not self.at("==", "!="):
            raise self.error(f"expected '==' or '!=' in 'i % m == r', found {self.peek().describe()}")
        eq = self.next()
        r, rt = self.expect_int("the residue r in 'i % m == r'")
        if m < 1:
            raise self.error("the modulus m in 'i % m == r' must be at least 1", mt)
        if not 0 <= r < m:
            raise self.error(f"the residue r in 'i % m == r' must satisfy 0 <= r < m (here r = {r}, m = {m})", rt)
        node: Node = Periodic(m, r, loc=self.loc(t))
        return Not(node, loc=self.loc(t)) if eq.text == "!=" else node


def _show_vocab(vocab: Iterable[str], limit: int = 30) -> str:
    v = list(vocab)
    return "known tokens: " + " ".join(v[:limit]) + (" ..." if len(v) > limit else "")


def parse(
    text: str,
    vocab: Iterable[str] | None = None,
    name: str | None = None,
) -> Program:
    """Parse and type-check a program.

    ``vocab``: if given, every ``Q(a)`` must name a token of it, and so must every output name
    ``next_a``; the returned program then also rejects inputs with other
    tokens.  ``name`` is used in messages.  Raises a :class:`~lengen.crasp.errors.CRASPError`
    subclass with line and column on any error.
    """
    if vocab is not None:
        vocab = list(vocab)
    vocab_set = frozenset(vocab) if vocab is not None else None
    try:
        lines = _split_definitions(text)
        first_line: dict[str, int] = {}
        for ln in lines:
            first_line.setdefault(ln.name.text, ln.line)
        env: dict[str, Definition] = {}
        defs: list[Definition] = []
        for ln in lines:
            nm = ln.name.text
            if nm in env:
                raise DuplicateDefinitionError(
                    f"'{nm}' is already defined on line {env[nm].line}", ln.name.line, ln.name.col
                )
            if vocab_set is not None:
                tok = output_token(nm)
                if tok is not None and tok not in vocab_set:
                    raise VocabularyError(
                        f"the output '{nm}' names the token {tok!r}, which is not in the "
                        f"vocabulary ({_show_vocab(vocab_set)})",
                        ln.name.line,
                        ln.name.col,
                    )
            if not ln.body:
                raise CRASPSyntaxError(f"expected an expression after ':=' in the definition of '{nm}'",
                                       ln.name.line, ln.name.col + len(nm))
            last = ln.body[-1]
            end = (last.line, last.col + max(len(last.text), 1) + (3 if last.kind == "tok" else 0))
            p = _Parser(ln.body, end, env, first_line, nm, vocab_set)
            expr = p.definition()
            d = Definition(nm, expr, ln.line)
            env[nm] = d
            defs.append(d)
    except CRASPError as e:
        if name:
            e.located(name)
        raise
    vocab_list = list(dict.fromkeys(vocab)) if vocab is not None else None  # type: ignore[arg-type]
    return Program(defs, vocab=vocab_list, name=name, source=text)


def load_file(path: str | os.PathLike, vocab: Iterable[str] | None = None) -> Program:
    """Read and parse a ``.crasp`` file (errors name the file)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    return parse(text, vocab=vocab, name=str(p))


