"""The library of C-RASP programs for the paper's tasks, and why the other tasks have none.

Programs live in ``lengen/crasp/programs/<task>.crasp`` (shipped with the package).  Most are
written by hand; the ones for tasks with large vocabularies (``majority``: 26 letters; ``sort``
and ``unique_copy``: the 150 tokens "0" ... "149") are produced by the generators below, which
take any vocabulary, and the shipped files are their output for the task's vocabulary
(:func:`write_generated` rewrites them; a test checks they are up to date).

Each program uses the smallest fragment the theory allows for its task: a task predicted to
length-generalize without positional encodings (NoPE) has a C-RASP[] program; periodic predicates
and local counts appear only where the paper predicts success with APE alone.

Besides the main program, a task may have **variants**, ``<task>.<variant>.crasp``, loaded by
name (``load("unique_copy.nope")``).  A checked variant counts for the predictions like a main
program (:mod:`lengen.predictions`; :func:`fragments` leaves variants out only when asked with
``include_variants=False``):

* ``unique_copy.nope.crasp`` -- a C-RASP[] program for copying distinct tokens, found while
  building this library.  Each token's *age* (the number of positions since its first occurrence,
  ``#[j <= i] exists[j' <= j] Q(a)``) locates it; the next token is the one whose age is one less
  than the current token's.  The paper lists no C-RASP[] program for this task and predicts
  failure for NoPE; lengen's computed NoPE prediction is therefore positive where the paper's is
  negative (see :data:`VARIANT_NOTES`, and ``lengen tasks``, which marks the difference).

:func:`fragments` runs :func:`~lengen.crasp.checker.check` on every program (results are cached in
memory) and says, per task, whether a checked program exists in C-RASP[periodic, local] (the APE
prediction) and in C-RASP[] (the NoPE prediction).  :data:`NO_PROGRAM` gives, for the tasks and
fragments without a program, the paper's argument (or lengen's best account of it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Sequence

from .ast import Program, output_name
from .checker import CheckResult, check
from .parser import parse

PROGRAM_DIR = Path(__file__).with_name("programs")

#: Tasks whose program file is produced by a generator of this module.
GENERATED = ("majority", "sort", "unique_copy")

#: Why a task has no program in a fragment.  Keys: task name; values: {"ape": reason, "nope": reason}
#: ("ape" = no program in C-RASP[periodic, local]; "nope" = no program in C-RASP[]).
NO_PROGRAM: dict[str, dict[str, str]] = {
    # -- no program at all ---------------------------------------------------------------------------
    "repeat_copy": {
        "ape": "Copying a string with repeated tokens is not in C-RASP[periodic, local]: every such program has "
        "logarithmic communication complexity when Alice and Bob hold the two halves of the string "
        "(Theorem 12), while copying needs Alice to send her whole half (linear communication).",
    },
    "addition": {
        "ape": "Not in C-RASP[periodic, local]: with both operands of m bits, Alice (holding 'a +') must tell apart "
        "all 2^(m-1) values of a, since for any fixed b the sum a + b determines a; that is linear communication, "
        "while every C-RASP[periodic, local] program has logarithmic communication (Theorem 12).  The paper marks "
        "the task as not expressible; this corollary is lengen's own wording of the argument.",
    },
    "parity": {
        "ape": "PARITY is not in C-RASP (C-RASP is strictly contained in TC0, and PARITY is the standard separating "
        "example), and periodic predicates on positions or local counts do not give the parity of a count of "
        "symbols spread over the whole string.  lengen's own argument for C-RASP[periodic, local]: along the "
        "strings <bos> (0^(L-1) 1)^k every program's output is eventually constant in k, while parity alternates "
        "(lengen.identify.periodic_strings).",
    },
    "tomita3": {
        "ape": "No program is known.  Tomita-3 needs the parity of the length of the current run of 1s and of 0s, "
        "a modular count of unbounded runs that neither periodic (absolute-position) predicates nor bounded "
        "windows provide; the paper predicts failure.  lengen does not know a published proof for this language.",
    },
    "tomita5": {
        "ape": "On strings of even length, #0 and #1 have the same parity, so Tomita-5 (#0 and #1 both even) is "
        "PARITY of the number of 1s there.  PARITY is not in C-RASP, and periodic predicates (which see the "
        "parity of positions, not of counts) and local counts do not supply it.  The paper predicts failure; "
        "the exact lemma for C-RASP[periodic, local] was not retrieved.",
    },
    "tomita6": {
        "ape": "Tomita-6 needs (#0 - #1) mod 3, i.e. counting symbols modulo 3.  Like PARITY (counting mod 2), this "
        "is not expected in C-RASP, and periodic predicates (which see positions, not counts) and local counts do "
        "not supply it.  The paper predicts failure; lengen knows no published proof for this language.",
    },
    "zot_02_star": {
        "ape": "{0,1,2}*02* ('the last symbol other than 2 is 0') is, up to renaming 0, 1, 2 to a, b, e, the "
        "language (a|b|e)*ae* of last-occurrence retrieval (flip-flop).  Lemma 35 shows a language of this kind is "
        "not in C-RASP[periodic, local], and Lemma 36 turns a program separating such languages into a recognizer "
        "(as restated by Jobanputra et al., 'Born a Transformer', Lemma 6).",
    },
    # -- APE yes, NoPE no ------------------------------------------------------------------------------
    "bin_majority_interleave": {
        "nope": "The three groups are positions 1, 2, 3 mod 3 after <bos>: assigning a position to its group needs a "
        "periodic predicate.  No C-RASP[] program is known (C-RASP has no modular counting of positions), and the "
        "paper predicts failure for NoPE.",
    },
    "unique_copy": {
        "nope": "The paper's program is an induction head, which uses the local predecessor relation j = i - 1, "
        "and the paper lists no C-RASP[] program.  (lengen found one -- the variant unique_copy.nope.crasp; "
        "see VARIANT_NOTES.)",
    },
    "aa_star": {"nope": "Lemma 38: periodic regular languages such as (aa)* are not definable without positional predicates."},
    "aaaa_star": {"nope": "Lemma 38: periodic regular languages such as (aaaa)* are not definable without positional predicates."},
    "abab_star": {
        "nope": "Membership in (abab)* needs the length mod 4, as for (aaaa)*; Lemma 38's argument for periodic "
        "languages is the paper's reason to predict failure without positional predicates.",
    },
    "tomita4": {
        "nope": "'The last two symbols are 00' is read with the local relations j = i - 1 and j = i - 2; no C-RASP[] "
        "program is known and the paper predicts failure for NoPE.",
    },
}

VARIANT_NOTES: dict[str, str] = {
    "unique_copy.nope": (
        "A C-RASP[] program for unique_copy: age_a := #[j <= i] seen_a counts the positions since the first "
        "occurrence of a; at a position holding x_k (or <sep>, standing for <bos>) the next token is the a with "
        "age_a + 1 == age_{x_k}.  It passes the same check as the main program, so by the theory's own criterion "
        "the NoPE prediction for unique_copy would be positive, unlike the paper's flag.  Note that with a fixed "
        "vocabulary of 150 distinct tokens the task only has lengths up to 150, so the asymptotic theory says "
        "little about it either way."
    ),
}


# ---------------------------------------------------------------------------------------------
# Generators


def _wrap(name: str, op: str, terms: Sequence[str], width: int = 100) -> str:
    """``name := t1 op t2 op ...`` with indented continuation lines."""
    lines, cur = [], f"{name} := "
    indent = " " * 4
    for k, t in enumerate(terms):
        piece = t if k == 0 else f" {op} {t}"
        if len(cur) + len(piece) > width and k > 0:
            lines.append(cur)
            cur = indent + f"{op} {t}"
        else:
            cur += piece
    lines.append(cur)
    return "\n".join(lines)


def _word(token: str) -> str:
    """A name fragment for a token (``17``, ``a``, ``<eos>``)."""
    return output_name(token, prefix="")


def majority_program(letters: Sequence[str]) -> str:
    """Majority over ``letters`` (C-RASP[]): NEXT_a := AND_{b != a} #a > #b at ``<sep>``."""
    out = [
        "// Majority (C-RASP[]), generated by lengen.crasp.library.majority_program:",
        "// <bos> x_1 ... x_n <sep> y <eos>, y the most frequent letter (no ties).",
        "// At <sep>, a is the answer iff its count exceeds every other letter's count.",
        "answer := exists[j <= i] Q(<sep>)",
    ]
    out += [f"count_{_word(a)} := #[j <= i] Q({a})" for a in letters]
    for a in letters:
        terms = ["Q(<sep>)"] + [f"count_{_word(a)} > count_{_word(b)}" for b in letters if b != a]
        out.append(_wrap(output_name(a), "and", terms))
    out.append("next_<eos> := answer and not Q(<sep>)")
    return "\n".join(out) + "\n"


def sort_program(symbols: Sequence[str]) -> str:
    """Sorting distinct tokens (C-RASP[]); ``symbols`` in ascending order.

    NEXT_a := a occurs, a is larger than the current token (or we are at ``<sep>``), and no
    smaller such token exists.  "Smaller than the current token" and "a smaller candidate exists"
    are built as chains of disjunctions, so the program has O(|symbols|) definitions.
    """
    out = [
        "// Sort (C-RASP[]), generated by lengen.crasp.library.sort_program:",
        "// <bos> x_1 ... x_n <sep> y_1 ... y_n <eos>, y = the distinct x sorted ascending.",
        "// The next output is the smallest input token larger than the current token",
        "// (at <sep>: the smallest input token); <eos> when there is none.",
        "answer := exists[j <= i] Q(<sep>)",
        "// occurs_a: a is in the input",
    ]
    out += [f"occurs_{_word(a)} := exists[j <= i] Q({a})" for a in symbols]
    out.append("// less_a: the current token is smaller than a")
    prev = None
    for a in symbols:
        w = _word(a)
        out.append(f"less_{w} := false" if prev is None else f"less_{w} := less_{_word(prev)} or Q({prev})")
        prev = a
    out.append("// cand_a: a occurs and is larger than the current token (at <sep>: every token is a candidate)")
    out += [f"cand_{_word(a)} := occurs_{_word(a)} and (Q(<sep>) or less_{_word(a)})" for a in symbols]
    out.append("// smaller_a: some candidate is smaller than a")
    prev = None
    for a in symbols:
        w = _word(a)
        out.append(f"smaller_{w} := false" if prev is None else f"smaller_{w} := smaller_{_word(prev)} or cand_{_word(prev)}")
        prev = a
    out.append("any_cand := " + (f"smaller_{_word(symbols[-1])} or cand_{_word(symbols[-1])}" if symbols else "false"))
    out += [f"{output_name(a)} := answer and cand_{_word(a)} and not smaller_{_word(a)}" for a in symbols]
    out.append("next_<eos> := answer and not any_cand")
    return "\n".join(out) + "\n"


def unique_copy_program(symbols: Sequence[str]) -> str:
    """Copying distinct tokens with an induction head (C-RASP[local]).

    Every token gets a binary code (its index in ``symbols``; ``<bos>`` gets ``len(symbols)``).
    ``pbit_k`` reads bit k of the previous token's code through the local relation j = i - 1.  For
    each candidate a (a symbol, or ``<sep>`` for ``<eos>``), ``code_before_a`` is the code of the
    token before a's occurrence in the input, and a is next iff that equals the code of the current
    token (at ``<sep>``: the code of ``<bos>``, so that x_1 comes first).  Size O(|symbols| log |symbols|)
    instead of the |symbols|^2 bigrams of the textbook induction head.
    """
    n = len(symbols)
    bos_code = n
    nbits = max(1, bos_code.bit_length())
    code = {a: k for k, a in enumerate(symbols)}
    code["<bos>"] = bos_code
    out = [
        "// Copy unique (C-RASP[local]), generated by lengen.crasp.library.unique_copy_program:",
        "// <bos> x_1 ... x_n <sep> x_1 ... x_n <eos> with distinct x.  An induction head: the next token",
        "// is the one whose predecessor in the input is the current token (at <sep>: the one after <bos>).",
        f"// Tokens are identified by {nbits}-bit codes: symbol k has code k, <bos> has code {bos_code}.",
        "answer := exists[j <= i] Q(<sep>)",
        "input  := Q(<sep>) or not answer           // the input and the <sep> itself",
    ]
    for k in range(nbits):
        toks = [t for t in [*symbols, "<bos>"] if (code[t] >> k) & 1]
        out.append(_wrap(f"bit{k}", "or", [f"Q({t})" for t in toks]) if toks else f"bit{k} := false")
    out.append("// the code the current position asks for: its own token's code, and <bos>'s at <sep>")
    for k in range(nbits):
        out.append(f"want{k} := bit{k} or Q(<sep>)" if (bos_code >> k) & 1 else f"want{k} := bit{k}")
    out.append(_wrap("wanted", "+", [f"(want{k} ? {1 << k} : 0)" for k in range(nbits)]))
    out.append("// pbit_k: bit k of the code of the previous token (local relation j = i - 1)")
    out += [f"pbit{k} := exists[j <= i, j == i - 1] bit{k}" for k in range(nbits)]
    for a in [*symbols, "<sep>"]:
        w = _word(a)
        out.append(f"at_{w} := Q({a}) and input")
        terms = [f"{1 << k} * #[j <= i] (at_{w} and pbit{k})" for k in range(nbits)]
        out.append(_wrap(f"code_before_{w}", "+", terms))
        target = "next_<eos>" if a == "<sep>" else output_name(a)
        out.append(f"{target} := answer and exists[j <= i] at_{w} and code_before_{w} == wanted")
    return "\n".join(out) + "\n"


def unique_copy_nope_program(symbols: Sequence[str]) -> str:
    """Copying distinct tokens in C-RASP[] (no local relation; see :data:`VARIANT_NOTES`)."""
    out = [
        "// Copy unique in C-RASP[] (a variant, not the paper's program), generated by",
        "// lengen.crasp.library.unique_copy_nope_program.",
        "// age_a = number of positions since the first occurrence of a = i - (position of a) + 1.",
        "// The token after x_k in the input is the a whose age is one less than x_k's; at <sep> the",
        "// program looks for the token after <bos>.  Only counts and comparisons: no positions needed.",
        "answer := exists[j <= i] Q(<sep>)",
        "age_<bos> := #[j <= i] true",
    ]
    for a in [*symbols, "<sep>"]:
        w = _word(a)
        out.append(f"seen_{w} := exists[j <= i] Q({a})")
        out.append(f"age_{w} := #[j <= i] seen_{w}")
    out.append("// the age of the current token (<bos>'s age at <sep>)")
    terms = [f"(Q({a}) ? age_{_word(a)} : 0)" for a in symbols] + ["(Q(<sep>) ? age_<bos> : 0)"]
    out.append(_wrap("current_age", "+", terms))
    for a in [*symbols, "<sep>"]:
        w = _word(a)
        target = "next_<eos>" if a == "<sep>" else output_name(a)
        out.append(f"{target} := answer and seen_{w} and age_{w} + 1 == current_age")
    return "\n".join(out) + "\n"


def generated_text(name: str) -> str:
    """The generated program text for a task of :data:`GENERATED` (or the variant ``unique_copy.nope``),
    for the task's own vocabulary."""
    from lengen.tasks import get_task

    task = get_task(name.split(".")[0])
    symbols = list(task.symbols)  # type: ignore[attr-defined]
    if name == "majority":
        return majority_program(symbols)
    if name == "sort":
        return sort_program(sorted(symbols, key=int))
    if name == "unique_copy":
        return unique_copy_program(symbols)
    if name == "unique_copy.nope":
        return unique_copy_nope_program(symbols)
    raise KeyError(f"no generator for {name!r}")


def write_generated(directory: str | os.PathLike | None = None) -> list[Path]:
    """(Re)write the generated program files; returns their paths."""
    d = Path(directory) if directory else PROGRAM_DIR
    paths = []
    from lengen.files import atomic_write_bytes

    for name in [*GENERATED, "unique_copy.nope"]:
        p = d / f"{name}.crasp"
        atomic_write_bytes(p, generated_text(name).encode())
        paths.append(p)
    return paths


# ---------------------------------------------------------------------------------------------
# Loading


def _read(name: str) -> str | None:
    try:
        return resources.files("lengen.crasp").joinpath("programs", f"{name}.crasp").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None


def path(task_name: str) -> Path | None:
    """The file of a task's main program, or None."""
    p = PROGRAM_DIR / f"{task_name}.crasp"
    return p if p.exists() else None


def names() -> list[str]:
    """Task names that have a main program, in file-name order."""
    return sorted(p.stem for p in PROGRAM_DIR.glob("*.crasp") if "." not in p.stem)


def variants(task_name: str) -> list[str]:
    """Variant names of a task (``"unique_copy.nope"``), loadable with :func:`load`."""
    return sorted(p.stem for p in PROGRAM_DIR.glob(f"{task_name}.*.crasp"))


def load(task_name: str) -> Program | None:
    """The library's program for a task (or a variant name such as ``"unique_copy.nope"``),
    parsed against the task's vocabulary; ``None`` when the library has none."""
    text = _read(task_name)
    if text is None:
        return None
    from lengen.tasks import get_task

    try:
        vocab = get_task(task_name.split(".")[0]).vocab.tokens
    except Exception:
        vocab = None
    return parse(text, vocab=vocab, name=f"{task_name}.crasp")


# ---------------------------------------------------------------------------------------------
# Checking the library


@dataclass
class TaskPrograms:
    """Per task: the program checked, its fragment, and the derived predictions.

    ``ape`` -- a checked program exists in C-RASP[periodic, local];
    ``nope`` -- a checked program exists in C-RASP[];
    ``reasons`` -- for a missing program, the argument from :data:`NO_PROGRAM`.
    """

    task: str
    program: str | None
    fragment: str | None
    ape: bool
    nope: bool
    check: CheckResult | None
    reasons: dict[str, str]
    variants: dict[str, CheckResult]

    def as_dict(self) -> dict:
        return {
            "task": self.task,
            "program": self.program,
            "fragment": self.fragment,
            "ape": self.ape,
            "nope": self.nope,
            "check": self.check.as_dict() if self.check else None,
            "reasons": self.reasons,
            "variants": {k: v.as_dict() for k, v in self.variants.items()},
        }


QUICK = dict(max_len=200, n_random=40, exhaustive_len=8, budget=2_000)
FULL = dict(max_len=500, n_random=300, exhaustive_len=12, budget=20_000)

_CACHE: dict[tuple[str, str, int], CheckResult] = {}


def check_program(name: str, quick: bool = True, seed: int = 0) -> CheckResult | None:
    """Check the library program ``name`` (a task or a variant) against its task (cached)."""
    key = (name, "quick" if quick else "full", seed)
    if key in _CACHE:
        return _CACHE[key]
    prog = load(name)
    if prog is None:
        return None
    task_name = name.split(".")[0]
    from lengen.tasks import get_task

    task = get_task(task_name)
    settings = dict(QUICK if quick else FULL)
    res = check(prog, task, seed=seed, **settings)  # type: ignore[arg-type]
    _CACHE[key] = res
    return res


def fragments(
    quick: bool = True,
    tasks: Sequence[str] | None = None,
    include_variants: bool = True,
) -> dict[str, TaskPrograms]:
    """For each task: does a *checked* program exist in C-RASP[periodic, local] and in C-RASP[]?

    Runs :func:`check_program` on the library's program of each task (``quick=True``: short
    random inputs, a few seconds in all; ``quick=False``: lengths up to 500).  A program that
    fails its check counts as absent.  Checked variants count too unless ``include_variants=False``
    (which gives the flags without ``unique_copy.nope``; see :data:`VARIANT_NOTES`).
    """
    from .ast import fragment_contains
    from lengen.tasks import task_names

    out: dict[str, TaskPrograms] = {}
    for name in tasks or task_names():
        res = check_program(name, quick)
        ok = bool(res and res.ok)
        frag = res.fragment if res else None
        ape = ok and frag is not None and fragment_contains("C-RASP[periodic, local]", frag)
        nope = ok and frag == "C-RASP[]"
        var_results: dict[str, CheckResult] = {}
        for v in variants(name):
            vr = check_program(v, quick)
            if vr is None:
                continue
            var_results[v] = vr
            if include_variants and vr.ok:
                ape = True
                nope = nope or vr.fragment == "C-RASP[]"
        reasons = {k: v for k, v in NO_PROGRAM.get(name, {}).items() if (k == "ape" and not ape) or (k == "nope" and not nope)}
        if res is not None and not res.ok:
            reasons["check"] = f"the library program failed its check: {res.counterexample}"
        out[name] = TaskPrograms(name, f"{name}.crasp" if res else None, frag, ape, nope, res, reasons, var_results)
    return out


def table(quick: bool = True) -> str:
    """A Markdown table of the library: task, fragment, depth, size, check result, inputs checked."""
    rows = ["| task | fragment | depth | size | check | inputs checked | max length |", "|---|---|---|---|---|---|---|"]
    for name, tp in fragments(quick=quick).items():
        if tp.check is None:
            reason = "; ".join(tp.reasons.values())
            rows.append(f"| {name} | (no program) | | | | | {reason[:60]}... |" if reason else f"| {name} | (no program) | | | | | |")
            continue
        prog = load(name)
        assert prog is not None
        i = prog.info()
        c = tp.check
        rows.append(
            f"| {name} | {i.fragment} | {i.depth} | {i.size} | {'ok' if c.ok else 'FAILED'} | {c.n_inputs} | {c.max_len} |"
        )
    return "\n".join(rows)
