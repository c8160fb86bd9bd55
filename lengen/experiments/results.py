"""Reading a finished ``lengen reproduce`` directory, for the book and for reports.

:func:`load_report` reads the files that ``lengen reproduce`` (or ``lengen reproduce merge``)
writes and that are kept under version control: ``table.csv``, ``verdicts.json``,
``run_info.json``, ``runs.json`` and ``plan.json`` (the per-run ``runs/`` directories are not
needed).  The other functions turn a :class:`Report` into what a chapter shows:

* :func:`provenance` / :func:`provenance_markdown` -- the command line, lengen version, machine
  and wall/compute time recorded in ``run_info.json``;
* :func:`rows` -- one dict per task x PE variant (the verdict entry with the accuracy of every bin);
* :func:`table_markdown` -- a Markdown table of some rows;
* :func:`figure_rows` -- the input of :func:`lengen.experiments.figures.panel_grid`;
* :func:`explain` -- a factual account of one row whose outcome disagrees with the prediction
  (or is inconclusive), built from the files and from :data:`AUTHORS_ARCHITECTURE`.

Accuracies are fractions in 0..1 in the returned dicts and percentages in the text.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..evaluate import Bin, bin_name
from ..tasks import get_task
from .verdicts import FIT_AT, summarize

#: The architecture (layers / heads / d, learning rate) the authors' 54-configuration sweep selected,
#: per task and positional variant (read from the authors' multi-seed result
#: files).  "big" = 12 layers, 12 heads, d 768.  Only the algorithmic tasks are listed there.
AUTHORS_ARCHITECTURE: dict[str, dict[str, str]] = {
    "bin_majority": {"ape": "1/1/16 lr 1e-3", "nope": "1/1/16"},
    "bin_majority_interleave": {"ape": "2/4/256 lr 1e-4", "nope": "big"},
    "majority": {"ape": "1/2/256 lr 1e-3", "nope": "1/1/64"},
    "sort": {"ape": "1/2/256 lr 1e-4", "nope": "1/1/256"},
    "unique_copy": {"ape": "2/1/64 lr 1e-3", "nope": "4/4/256"},
    "repeat_copy": {"ape": "4/4/256 lr 1e-3", "nope": "4/4/256"},
    "parity": {"ape": "4/2/256 lr 1e-4", "nope": "big (lr 3e-5)"},
    "addition": {"ape": "big (lr 1e-4)", "nope": "big"},
}

PE_NAMES = {"ape": "APE", "nope": "NoPE", "reg": "APE + Reg"}


class MissingResults(FileNotFoundError):
    """A results directory without the files ``lengen reproduce`` writes."""


@dataclass
class Report:
    """The files of one ``lengen reproduce`` output directory."""

    root: Path
    profile: str
    run_info: dict
    verdicts: dict
    table: list[dict]  # table.csv rows, as strings
    runs: list[dict]  # runs.json
    plan: dict | None
    bins: list[Bin]


def _read_json(path: Path) -> Any:
    with open(path) as f:
        return json.load(f)


def load_report(directory: str | Path) -> Report:
    """Read ``table.csv``, ``verdicts.json``, ``run_info.json``, ``runs.json`` (and ``plan.json`` if
    present) from a directory written by ``lengen reproduce``."""
    root = Path(directory)
    needed = ["table.csv", "verdicts.json", "run_info.json", "runs.json"]
    missing = [n for n in needed if not (root / n).exists()]
    if missing:
        raise MissingResults(
            f"{root} lacks {', '.join(missing)}; these files are written by 'lengen reproduce' at the end of a "
            f"run (e.g. 'lengen reproduce --profile quick --out {root}')"
        )
    with open(root / "table.csv", newline="") as f:
        table = list(csv.DictReader(f))
    verdicts = _read_json(root / "verdicts.json")
    plan = _read_json(root / "plan.json") if (root / "plan.json").exists() else None
    bins: list[Bin] = []
    if plan and plan.get("plan", {}).get("groups"):
        bins = [tuple(b) for b in plan["plan"]["groups"][0]["settings"]["bins"]]  # type: ignore[misc]
    elif table:
        bins = [_parse_bin(k[: -len(" mean")]) for k in table[0] if k.endswith(" mean") and not k.endswith("all_mean")]
    return Report(root, verdicts.get("profile", ""), _read_json(root / "run_info.json"), verdicts, table,
                  _read_json(root / "runs.json"), plan, bins)


def _parse_bin(name: str) -> Bin:
    lo, hi = name.strip("[]").split(",")
    return int(lo), int(hi)


# -------------------------------------------------------------------------------------------------
# Provenance


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "not recorded"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def provenance(report: Report) -> dict:
    """``command`` (the command that wrote the directory), ``commands`` (every invocation or shard
    command behind it), ``lengen_version``, ``machine`` (a description), ``workers``,
    ``wall_seconds``, ``compute_seconds``, ``runs`` and ``started``."""
    info = report.run_info
    invocations = list(info.get("invocations", []))
    shards = list(info.get("shards", []))
    commands = [i["command"] for i in invocations] or [s["command"] for s in shards if s.get("command")]
    machine = info.get("machine") or next((s["machine"] for s in shards if s.get("machine")), None)
    if machine:
        desc = (f"{machine.get('device_description', machine.get('device', '?'))}; {machine.get('cpu_count', '?')} "
                f"CPU cores, {machine.get('workers', '?')} worker(s); Python {machine.get('python', '?')}, "
                f"torch {machine.get('torch', '?')}; {machine.get('platform', '?')}")
    else:
        desc = "not recorded"
    wall = info.get("wall_seconds", info.get("wall_seconds_longest_shard"))
    return {
        "command": info.get("command", ""),
        "commands": commands,
        "lengen_version": info.get("lengen_version", ""),
        "machine": desc,
        "workers": machine.get("workers") if machine else None,
        "wall_seconds": wall,
        "compute_seconds": info.get("compute_seconds"),
        "runs": info.get("runs"),
        "started": invocations[0]["started"] if invocations else None,
        "merged_from": info.get("merged_from"),
    }


def provenance_markdown(report: Report, name: str | None = None) -> str:
    """A short Markdown block: command(s), version, machine, wall and compute time."""
    p = provenance(report)
    lines = [f"**Source:** `{name or report.root.name}/` (profile `{report.profile}`), written by"]
    lines.append("")
    lines.append(f"    {p['command']}")
    extra = [c for c in p["commands"] if c != p["command"]]
    if extra:
        lines += ["", "from the run(s) of", ""] + [f"    {c}" for c in dict.fromkeys(extra)]
    lines += [
        "",
        f"- lengen {p['lengen_version']}; {p['runs']} training runs"
        + (f", started {p['started']}" if p["started"] else ""),
        f"- machine: {p['machine']}",
        f"- wall time {_duration(p['wall_seconds'])}; compute time (sum over runs) {_duration(p['compute_seconds'])}",
    ]
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------------
# Rows


def _float(text: str) -> float | None:
    return None if text in ("", None) else float(text) / 100


def rows(report: Report, kind: str | None = None, pes: Sequence[str] | None = None,
         tasks: Sequence[str] | None = None) -> list[dict]:
    """One dict per task x PE variant (in the table's order), optionally filtered: the verdict
    entry of ``verdicts.json`` plus ``kind``, ``figure_index``, ``title``, ``max_steps``,
    ``accuracy`` (bin name -> mean over the reported seeds, 0..1, None if not run), ``min``/``max``
    (over every seed tried), ``steps`` / ``stopped_early`` (of the first run used) and ``runs``
    (the runs.json entries of this row)."""
    entries = {(e["task"], e["pe"]): e for e in report.verdicts.get("entries", [])}
    out = []
    for t in report.table:
        key = (t["task"], t["pe"])
        if kind and t["kind"] != kind or pes and t["pe"] not in pes or tasks and t["task"] not in tasks:
            continue
        e = dict(entries.get(key, {}))
        task = get_task(t["task"])
        e.update(
            task=t["task"], pe=t["pe"], kind=t["kind"], title=task.title,
            figure_index=int(t["figure_index"]) if t.get("figure_index") else None,
            max_steps=int(t["max_steps"]) if t.get("max_steps") else None,
            accuracy={bin_name(b): _float(t[f"{bin_name(b)} mean"]) for b in report.bins},
            min={bin_name(b): _float(t[f"{bin_name(b)} min"]) for b in report.bins},
            max={bin_name(b): _float(t[f"{bin_name(b)} max"]) for b in report.bins},
        )
        used = [r for r in report.runs if (r["task"], r["pe"]) == key]
        e["runs"] = used
        e["steps"] = used[0]["steps"] if used else None
        e["stopped_early"] = used[0]["stopped_early"] if used else None
        out.append(e)
    return out


def counts(rs: Iterable[Mapping[str, Any]]) -> dict:
    """The verdict counts of some rows (see :func:`lengen.experiments.verdicts.summarize`)."""
    return summarize([r for r in rs if "measured" in r])


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def verdict_word(r: Mapping[str, Any]) -> str:
    """``agree``, ``disagree``, ``inconclusive`` or ``not run``."""
    if r.get("measured", "not run") == "not run":
        return "not run"
    return {True: "agree", False: "disagree", None: "inconclusive"}[r["agrees"]]


def table_markdown(rs: Sequence[Mapping[str, Any]], bins: Sequence[Bin], show_model: bool = True) -> str:
    """A Markdown table: task, PE, model, steps, every bin (%), prediction, outcome, verdict."""
    head = ["task", "PE"] + (["model (layers/heads/d, lr)", "steps"] if show_model else [])
    head += [bin_name(b) for b in bins] + ["predicted", "measured (last bin)", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rs:
        name = f"{r['figure_index']}. {r['title']}" if r.get("figure_index") else r["title"]
        cells = [_md(name), PE_NAMES.get(r["pe"], r["pe"])]
        if show_model:
            steps = "–" if r.get("steps") is None else f"{r['steps']}" + (" (early stop)" if r.get("stopped_early") else "")
            cells += [r.get("architecture") or "–", steps]
        cells += [_pct(r["accuracy"].get(bin_name(b))) for b in bins]
        mark = "✓" if r.get("program_exists") else "✗"
        measured = r.get("measured", "not run")
        if measured != "not run" and r.get("fitted") is False:
            measured += " (not fitted)"
        word = verdict_word(r)
        cells += [f"{mark} {r.get('predicted', '')}", measured, f"**{word}**" if word == "disagree" else word]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def figure_rows(rs: Iterable[Mapping[str, Any]], bins: Sequence[Bin]) -> dict[tuple[str, str], dict]:
    """``{(task, pe): {"mean", "min", "max", "program"}}`` for :func:`~lengen.experiments.figures.panel_grid`."""
    out = {}
    for r in rs:
        names = [bin_name(b) for b in bins]
        run = all(r["accuracy"].get(n) is not None for n in names)
        out[(r["task"], r["pe"])] = {
            "mean": [r["accuracy"][n] for n in names] if run else None,
            "min": [r["min"][n] for n in names] if run else None,
            "max": [r["max"][n] for n in names] if run else None,
            "program": bool(r.get("program_exists")),
        }
    return out


# -------------------------------------------------------------------------------------------------
# Explaining a disagreement


def _profile_architecture_note(r: Mapping[str, Any]) -> str | None:
    base = "ape" if r["pe"] == "reg" else r["pe"]
    authors = AUTHORS_ARCHITECTURE.get(r["task"], {}).get(base)
    if authors is None or not r.get("architecture"):
        return None
    return (f"This run trained {r['architecture']} (layers/heads/d, lr); the authors' sweep selected {authors} "
            f"for {PE_NAMES[base]} (from their released result files).")


def explain(r: Mapping[str, Any], bins: Sequence[Bin], reason: str | None = None) -> str:
    """A Markdown paragraph of facts about one row: what was predicted and why (``reason``, e.g.
    from :func:`lengen.predictions.predict`), what was measured, whether the model fitted the
    training range, how long it trained, and how the run differs from the authors' setup."""
    names = [bin_name(b) for b in bins]
    acc = r["accuracy"]
    head = f"**{_md(r['title'])}, {PE_NAMES.get(r['pe'], r['pe'])}** — predicted *{r.get('predicted')}*"
    parts = [head + (f" ({_md(reason)})" if reason else "") + "."]
    if r.get("measured", "not run") == "not run":
        return parts[0] + " No finished run yet."
    parts.append("Measured accuracy by bin: " + ", ".join(f"{n} {_pct(acc[n])}%" for n in names)
                 + f"; outcome *{r['measured']}*.")
    id_acc, last = acc[names[0]], acc[names[-1]]
    if r.get("fitted") is False:
        parts.append(
            f"The model did **not fit the training range** ({_pct(id_acc)}% on {names[0]}, below the "
            f"{100 * FIT_AT:.0f}% the rule asks for), so its accuracy on longer inputs says little about length "
            "generalization: the run failed to learn the task, not (only) to extrapolate it."
        )
    elif r["agrees"] is False and r.get("program_exists"):
        mid = acc[names[1]] if len(names) > 2 else None
        parts.append(
            f"The model fitted the training range ({_pct(id_acc)}%) and then lost accuracy on longer inputs"
            + (f" ({_pct(mid)}% on {names[1]}, {_pct(last)}% on {names[-1]})" if mid is not None else "")
            + ". The theory's guarantee is asymptotic (some finite training length suffices, with no bound on it) "
            "and is about an idealized learner, not about one SGD run of a fixed size."
        )
    elif r["agrees"] is False:
        parts.append(
            f"The model generalized ({_pct(last)}% on {names[-1]}) although no program is known for this variant. "
            "A prediction of failure is a statement about the limit of ever longer training lengths under the "
            "idealized learner; a finite model can still be right up to length "
            f"{bins[-1][1]}, and a program missing from the library is not a proof that none exists."
        )
    else:
        parts.append(f"The last bin ({_pct(last)}%) lies between the two thresholds, so the rule draws no conclusion.")
    steps, cap = r.get("steps"), r.get("max_steps")
    if steps is not None:
        if r.get("stopped_early"):
            parts.append(f"Training stopped early at step {steps} (100% on the in-distribution check).")
        elif cap is not None:
            parts.append(f"Training ran to its cap of {cap} steps without reaching 100% on the in-distribution check.")
    note = _profile_architecture_note(r)
    if note and (r.get("fitted") is False or (r["agrees"] is False and r.get("program_exists"))):
        parts.append(note)
    task = get_task(r["task"])
    if task.kind == "language" and bins:
        lo, hi = bins[0]
        n_strings = sum(task.count(n) for n in range(max(lo, task.min_length), hi + 1))
        if n_strings < 1000:
            parts.append(f"The language has only {n_strings} distinct strings of length {max(lo, task.min_length)} to {hi}, so training "
                         "sees the same few strings again and again (at random position offsets).")
    n_seeds = len(r.get("runs", []))
    if n_seeds == 1:
        parts.append("One seed only: a single run cannot separate the task from the luck of one initialization.")
    return " ".join(parts)


# -------------------------------------------------------------------------------------------------
# Predictions, with their programs or reasons


def _md(text: str) -> str:
    """Escape text for a Markdown cell or paragraph (``<bos>`` would otherwise be read as HTML)."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return out.replace("*", "\\*")


def programs_markdown(tasks: Sequence[str]) -> str:
    """A Markdown table of the predictions of lengen's C-RASP library for ``tasks`` -- the program
    (file, fragment, depth, size) behind each positive prediction and the paper's flags -- followed
    by a list of the reasons where no program is known."""
    from ..crasp import library
    from ..crasp.ast import fragment_contains
    from ..predictions import APE_FRAGMENT, NOPE_FRAGMENT, predict, programs_for

    lines = ["| task | APE: program in C-RASP[periodic, local] | NoPE: program in C-RASP[] | paper (APE / NoPE) |",
             "|---|---|---|---|"]
    reasons = []
    mark = {True: "✓", False: "✗"}
    for t in tasks:
        task = get_task(t)
        found = programs_for(t)
        p = predict(t)
        name = f"{task.figure_index}. {task.title}" if task.kind == "language" else task.title
        cells = []
        for fragment, ok in ((APE_FRAGMENT, p.ape), (NOPE_FRAGMENT, p.nope)):
            names = [n for n, f in found.items()
                     if (f == NOPE_FRAGMENT if fragment == NOPE_FRAGMENT else fragment_contains(APE_FRAGMENT, f))]
            if ok and names:
                i = library.load(names[0]).info()  # type: ignore[union-attr]
                cells.append(f"✓ `{names[0]}.crasp` ({i.fragment}, depth {i.depth}, size {i.size})")
            else:
                cells.append("✗ none known" if fragment == APE_FRAGMENT or p.ape else "✗ none (not even with positions)")
        why = library.NO_PROGRAM.get(t, {})
        if not p.ape and why.get("ape"):
            reasons.append(f"- **{_md(name)}** (no program with or without positions): {_md(why['ape'])}")
        elif p.ape and not p.nope and why.get("nope"):
            reasons.append(f"- **{_md(name)}** (no program without positions): {_md(why['nope'])}")
        lines.append(f"| {_md(name)} | {cells[0]} | {cells[1]} | {mark[task.prediction.ape]} / {mark[task.prediction.nope]} |")
    if reasons:
        lines += ["", "Where no program is known, the reason:", "", *reasons]
    return "\n".join(lines) + "\n"


def short_reason(task: str, pe: str) -> str:
    """The basis of a prediction in a few words: the library program that makes it positive
    (``bin_majority.crasp, C-RASP[]``) or the fragment in which no program is known."""
    from ..crasp.ast import fragment_contains
    from ..predictions import APE_FRAGMENT, NOPE_FRAGMENT, programs_for

    fragment = NOPE_FRAGMENT if pe == "nope" else APE_FRAGMENT
    for name, f in programs_for(task).items():
        if (f == NOPE_FRAGMENT) if pe == "nope" else fragment_contains(APE_FRAGMENT, f):
            return f"{name}.crasp, {f}"
    return f"no program in {fragment} is known"


def analysis_markdown(rs: Sequence[Mapping[str, Any]], bins: Sequence[Bin]) -> tuple[str, int]:
    """:func:`explain` for every disagreeing row, then every inconclusive one, as Markdown; also
    returns how many rows were explained."""
    disagree = [r for r in rs if verdict_word(r) == "disagree"]
    unclear = [r for r in rs if verdict_word(r) == "inconclusive"]
    parts: list[str] = []
    if disagree:
        parts += ["**Disagreements.**", ""]
        parts += [explain(r, bins, short_reason(r["task"], r["pe"])) + "\n" for r in disagree]
    else:
        parts.append("No row disagrees with its prediction.\n")
    if unclear:
        parts += ["**Inconclusive rows.**", ""]
        parts += [explain(r, bins, short_reason(r["task"], r["pe"])) + "\n" for r in unclear]
    return "\n".join(parts), len(disagree) + len(unclear)


def criterion_scores(rs: Iterable[Mapping[str, Any]], criteria: Mapping[str, Mapping[str, bool]],
                     fitted_only: bool = True) -> dict[str, dict]:
    """How well each criterion predicts the measured outcomes of some rows.

    ``criteria[name][task]`` is True where the criterion predicts length generalization.  Only
    rows with a conclusive outcome (generalizes or fails) count, and with ``fitted_only`` only rows
    whose model fitted the training range.  Per criterion: ``agree``, ``n`` and ``wrong`` (the
    tasks it gets wrong)."""
    usable = [r for r in rs if r.get("measured") in ("generalizes", "fails") and (r.get("fitted") or not fitted_only)]
    out = {}
    for name, pred in criteria.items():
        wrong = [r["task"] for r in usable if r["task"] in pred and pred[r["task"]] != (r["measured"] == "generalizes")]
        n = sum(1 for r in usable if r["task"] in pred)
        out[name] = {"agree": n - len(wrong), "n": n, "wrong": wrong}
    return out


class RenderedMarkdown:
    """Markdown text that displays as HTML in a notebook (tables included, which the book's
    CommonMark rendering of Markdown outputs would not draw) and as Markdown elsewhere."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def _repr_html_(self) -> str | None:
        try:
            from markdown_it import MarkdownIt  # installed with jupytext and the book's toolchain
        except ImportError:
            return None  # the notebook falls back to the Markdown representation
        return MarkdownIt("commonmark").enable("table").render(self.text)

    def __str__(self) -> str:
        return self.text


def markdown(text: str) -> RenderedMarkdown:
    """Wrap Markdown text for ``IPython.display.display`` (see :class:`RenderedMarkdown`)."""
    return RenderedMarkdown(text)
