"""Pick a target and a length bound n, see the program the idealized learner chooses and how it
does on longer inputs.

:func:`identify_view` is the pure function (tested in ``tests/test_identify_view.py``): it runs
the program search of :mod:`lengen.identify.search` on a target of the catalog
:mod:`lengen.identify.examples` with every input up to length n, then measures the chosen
program's exact-match accuracy at each length 1..4n (lengths up to n were seen, the others were
not).  :func:`render` turns the result into HTML and :class:`IdentifyWidget` is the thin
ipywidgets wrapper::

    >>> view = identify_view("majority", 3)
    >>> view.expression
    '#[j <= i] Q(b) < #[j <= i] Q(a)'
    >>> view.unseen_accuracy
    1.0
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from lengen.identify.examples import DEFAULT_KEY, DEFAULT_N, EXAMPLES, get_example, search_example
from lengen.identify.identification import accuracy, evaluation_words

#: Largest n the widget's slider offers.
MAX_N = 10


@dataclass
class IdentifyView:
    """What :func:`identify_view` computed: the learner's choice at bound ``n`` and its accuracy.

    ``by_length``: length -> (strings tested, strings correct) for lengths 1..``test_len``;
    ``first_failure``: the shortest failing input, as in :class:`lengen.identify.Accuracy`."""

    key: str
    title: str
    fragment: str
    n: int
    max_size: int
    test_len: int
    status: str
    expressible: bool
    reason: str
    program: str | None = None
    expression: str | None = None
    size: int | None = None
    program_fragment: str | None = None
    seconds: float = 0.0
    by_length: dict[int, tuple[int, int]] = field(default_factory=dict)
    first_failure: dict | None = None

    @property
    def found(self) -> bool:
        return self.status == "found"

    def _acc(self, lo: int, hi: int) -> float | None:
        tested = sum(t for m, (t, _) in self.by_length.items() if lo <= m <= hi)
        right = sum(c for m, (_, c) in self.by_length.items() if lo <= m <= hi)
        return right / tested if tested else None

    @property
    def seen_accuracy(self) -> float | None:
        """Accuracy on the tested inputs of lengths 1..n (the learner saw every input of these lengths)."""
        return self._acc(1, self.n)

    @property
    def unseen_accuracy(self) -> float | None:
        """Accuracy on the tested inputs of lengths n+1..4n (longer than anything seen)."""
        return self._acc(self.n + 1, self.test_len)


def identify_view(key: str = DEFAULT_KEY, n: int = DEFAULT_N, test_factor: int = 4, per_length: int = 24,
                  seed: int = 0, time_limit: float | None = 30.0) -> IdentifyView:
    """Search the least complex program of the entry's fragment that agrees with target ``key`` on
    every input up to length ``n``, and test it on inputs of each length 1..``test_factor * n``
    (exhaustively while a length has at most 256 inputs, else ``per_length`` random ones, at
    random position offsets)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    d = get_example(key)
    target = d.target()
    res = search_example(key, n, time_limit=time_limit)
    view = IdentifyView(key=key, title=d.title, fragment=d.fragment, n=n, max_size=d.max_size,
                        test_len=test_factor * n, status=res.status, expressible=d.expressible, reason=d.reason,
                        seconds=res.seconds)
    if not res.found or res.program is None:
        return view
    view.program, view.expression, view.size, view.program_fragment = res.text, res.expression, res.size, res.fragment
    words = evaluation_words(target, view.test_len, per_length=per_length, seed=seed)
    by_len: dict[int, list] = {}
    for w in words:
        by_len.setdefault(len(w), []).append(w)
    failure = None
    for m in sorted(by_len):
        acc = accuracy(res.program, target, m, seed=seed + m, words=by_len[m])
        view.by_length[m] = (acc.n_strings, acc.n_correct)
        if failure is None and acc.first_failure is not None:
            failure = acc.first_failure
    view.first_failure = failure
    return view


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def render(view: IdentifyView) -> str:
    """HTML for an :class:`IdentifyView`: the chosen program, its accuracy on seen and unseen
    lengths, accuracy at each length, and the shortest counterexample if there is one."""
    e = html.escape
    head = (f"<div style='font-size:13px'><b>{e(view.title)}</b> in {e(view.fragment)}, programs of size ≤ "
            f"{view.max_size}; the learner sees every input up to length <b>n = {view.n}</b>.</div>")
    if not view.found:
        why = "no program up to the size limit agrees with every input up to length n" if view.status == "exhausted" \
            else f"the search stopped early ({e(view.status)})"
        return head + f"<p style='margin:0.4em 0'><b>No choice:</b> {why}.</p>"
    prog = (f"<pre style='margin:0.4em 0;padding:0.3em;background:#f4f4f4'>{e(view.program or '')}</pre>"
            f"<div style='font-size:12px'>size {view.size}, {e(view.program_fragment or '')}, "
            f"found in {view.seconds:.2f} s</div>")
    summary = (f"<p style='margin:0.4em 0'>Exact-match accuracy on lengths 1..{view.n} (seen): "
               f"<b>{_pct(view.seen_accuracy)}</b>; on lengths {view.n + 1}..{view.test_len} (longer): "
               f"<b>{_pct(view.unseen_accuracy)}</b>.</p>")
    cells_len = "".join(f"<td style='padding:1px 4px;{'font-weight:bold;' if m <= view.n else ''}'>{m}</td>"
                        for m in view.by_length)
    cells_acc = []
    for m, (t, c) in view.by_length.items():
        ok = c == t
        mark = "✓" if ok else "✗"
        colour = "#009E73" if ok else "#D55E00"
        pct = 100 if ok else min(99, (100 * c) // t)  # never print 100 for a length with a failure
        cells_acc.append(f"<td style='padding:1px 4px;color:{colour}'>{mark}<br>{pct}</td>")
    table = (f"<table style='font-size:11px;border-collapse:collapse;text-align:center'>"
             f"<tr><th style='text-align:left;padding-right:6px'>length (bold: seen)</th>{cells_len}</tr>"
             f"<tr><th style='text-align:left;padding-right:6px'>% correct</th>{''.join(cells_acc)}</tr></table>")
    f = view.first_failure
    if f is None:
        verdict = (f"<p style='margin:0.4em 0'>Correct on every tested input up to length {view.test_len}.</p>")
    else:
        shown = " ".join(f["input"]) or "(empty)"
        verdict = (f"<p style='margin:0.4em 0'>Shortest counterexample: <code>{e(shown)}</code> (length "
                   f"{len(f['input'])}), at position {f['position']} the target says {f['expected']}. "
                   f"From n = {len(f['input'])} on, the learner can no longer choose this program.</p>")
    return head + prog + summary + table + verdict


class IdentifyWidget:
    """A target menu and an n slider; the view recomputes on every change.  The first render
    (frozen into the static page) is ``identify_view(key, n)``."""

    def __init__(self, key: str = DEFAULT_KEY, n: int = DEFAULT_N, max_n: int = MAX_N) -> None:
        import ipywidgets as W

        self.target = W.Dropdown(options=[(d.label, k) for k, d in EXAMPLES.items()], value=key,
                                 description="target", layout=W.Layout(width="30em"))
        self.n = W.IntSlider(value=n, min=1, max=max_n, description="n", continuous_update=False)
        self.out = W.HTML()
        self.view = identify_view(key, n)
        self.out.value = render(self.view)
        self.target.observe(self._update, names="value")
        self.n.observe(self._update, names="value")
        self.box = W.VBox([W.HBox([self.target, self.n]), self.out])

    def _update(self, _change: object = None) -> None:
        self.view = identify_view(self.target.value, self.n.value)
        self.out.value = render(self.view)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)
