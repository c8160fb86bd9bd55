"""The theory's predictions and whether the measurements agree with them.

Predictions
-----------
For each task, the theory predicts length generalization with APE when the task has a program in
C-RASP[periodic, local], and with NoPE when it has one in C-RASP[].  :func:`predictions` asks
lengen's C-RASP program library (:func:`lengen.crasp.library.fragments`, which checks every program
against its task) and records ``source = "crasp-library"``.  When the library cannot be imported or
fails, it falls back to the flags stored on the task (``task.prediction``, from the paper's table)
and records that flag's ``source`` (``"paper"``) together with the reason.  The ``reg`` variant
(APE + regularizer) has the APE prediction.

Verdicts
--------
The measured outcome of a task x PE variant is read from the reported accuracy on the **last** bin
([101,150]): ``generalizes`` if >= 90%, ``fails`` if < 50%, ``inconclusive`` in between
(:func:`outcome`).  It *agrees* with the prediction when the outcome is ``generalizes`` and a
program exists, or ``fails`` and none exists; an inconclusive outcome neither agrees nor disagrees
(``agrees = None``) but counts in the total: the summary is "agreement on N of M", M being every
task x variant with a result.  A run that did not fit the training range (reported in-distribution
accuracy < 99%) is flagged: its failure to generalize says little about the theory.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

GENERALIZES_AT = 0.90  # last-bin accuracy at or above which a run "generalizes"
FAILS_BELOW = 0.50  # last-bin accuracy below which a run "fails"
FIT_AT = 0.99  # in-distribution accuracy at or above which the training range counts as fitted

LIBRARY_SOURCE = "crasp-library"


def outcome(last_bin_accuracy: float) -> str:
    """``generalizes`` (>= 0.90), ``fails`` (< 0.50) or ``inconclusive``; accuracy in 0..1."""
    if last_bin_accuracy >= GENERALIZES_AT:
        return "generalizes"
    if last_bin_accuracy < FAILS_BELOW:
        return "fails"
    return "inconclusive"


def agrees(predicted: bool, measured: str) -> bool | None:
    """Whether a measured outcome agrees with a prediction (None for an inconclusive outcome)."""
    if measured == "generalizes":
        return predicted
    if measured == "fails":
        return not predicted
    return None


def predictions(tasks: Sequence[str], use_library: bool = True) -> dict[str, dict[str, Any]]:
    """Per task: ``{"ape": bool, "nope": bool, "source": str, "paper": {...}, "note": str}``.

    ``ape``/``nope``: a checked program exists in C-RASP[periodic, local] / C-RASP[] (from the
    library), or the task's stored flags when the library is unavailable (``source`` says which)."""
    from ..tasks import get_task

    out: dict[str, dict[str, Any]] = {}
    for name in tasks:
        p = get_task(name).prediction
        out[name] = {
            "ape": p.ape,
            "nope": p.nope,
            "source": p.source,
            "paper": {"ape": p.ape, "nope": p.nope, "source": p.source},
            "note": "",
        }
    if not use_library or not tasks:
        for v in out.values():
            v["note"] = "C-RASP library not consulted"
        return out
    try:
        from ..crasp.library import fragments

        lib = fragments(quick=True, tasks=list(tasks))
    except Exception as e:  # ImportError while the library is being written, or a failing check
        for v in out.values():
            v["note"] = f"C-RASP library unavailable ({type(e).__name__}: {e}); using the task's stored flags"
        return out
    for name in tasks:
        tp = lib.get(name)
        if tp is None:
            out[name]["note"] = "not covered by the C-RASP library; using the task's stored flags"
            continue
        v = out[name]
        v["ape"], v["nope"], v["source"] = bool(tp.ape), bool(tp.nope), LIBRARY_SOURCE
        v["fragment"] = tp.fragment
        v["program"] = tp.program
        if (tp.ape, tp.nope) != (v["paper"]["ape"], v["paper"]["nope"]):
            v["note"] = (f"the library (APE {'yes' if tp.ape else 'no'}, NoPE {'yes' if tp.nope else 'no'}) "
                         f"differs from the task's stored flags")
    return out


def predicted_for(pred: Mapping[str, Any], pe: str) -> bool:
    """The prediction for a PE variant: ``reg`` is APE plus a regularizer, so it has APE's."""
    return bool(pred["nope"] if pe == "nope" else pred["ape"])


def verdict_entry(
    task: str,
    pe: str,
    pred: Mapping[str, Any],
    id_accuracy: float | None,
    last_accuracy: float | None,
    last_bin: str,
) -> dict[str, Any]:
    """One entry of ``verdicts.json``."""
    predicted = predicted_for(pred, pe)
    entry: dict[str, Any] = {
        "task": task,
        "pe": pe,
        "predicted": "generalizes" if predicted else "fails",
        "program_exists": predicted,
        "prediction_source": pred["source"],
        "last_bin": last_bin,
        "last_bin_accuracy": None if last_accuracy is None else round(100 * last_accuracy, 2),
        "in_distribution_accuracy": None if id_accuracy is None else round(100 * id_accuracy, 2),
    }
    if last_accuracy is None:
        entry.update(measured="not run", agrees=None, fitted=None, note="no finished run yet")
        return entry
    measured = outcome(last_accuracy)
    fitted = id_accuracy is not None and id_accuracy >= FIT_AT
    entry.update(measured=measured, agrees=agrees(predicted, measured), fitted=fitted)
    notes = []
    if not fitted:
        notes.append("the model did not fit the training range, so this outcome says little about length generalization")
    if pred.get("note"):
        notes.append(pred["note"])
    entry["note"] = "; ".join(notes)
    return entry


def summarize(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts and the summary line ``agreement on N of M`` (M: entries with a result)."""
    measured = [e for e in entries if e["measured"] != "not run"]
    n_agree = sum(1 for e in measured if e["agrees"] is True)
    n_disagree = sum(1 for e in measured if e["agrees"] is False)
    n_inconclusive = sum(1 for e in measured if e["agrees"] is None)
    fitted = [e for e in measured if e["fitted"]]
    n_fit_agree = sum(1 for e in fitted if e["agrees"] is True)
    missing = len(entries) - len(measured)
    line = f"agreement on {n_agree} of {len(measured)}"
    extra = [f"{n_disagree} disagree", f"{n_inconclusive} inconclusive"]
    if not fitted and measured:
        extra.append("no run fitted the training range")
    elif len(fitted) != len(measured):
        extra.append(f"{n_fit_agree} of {len(fitted)} among runs that fitted the training range")
    if missing:
        extra.append(f"{missing} not run yet")
    return {
        "summary": f"{line} ({'; '.join(extra)})",
        "agree": n_agree,
        "disagree": n_disagree,
        "inconclusive": n_inconclusive,
        "measured": len(measured),
        "fitted": len(fitted),
        "agree_among_fitted": n_fit_agree,
        "not_run": missing,
    }


RULE = {
    "outcome": f"last bin >= {100 * GENERALIZES_AT:.0f}%: generalizes; < {100 * FAILS_BELOW:.0f}%: fails; "
               "otherwise inconclusive",
    "agreement": "generalizes where a C-RASP program exists for the variant (C-RASP[periodic, local] for APE "
                 "and Reg, C-RASP[] for NoPE), fails where none exists; inconclusive outcomes count in M "
                 "but not in N",
    "fitted": f"reported in-distribution accuracy >= {100 * FIT_AT:.0f}%",
    "statistic": "mean over the seeds kept by the selection rule (over all seeds when none was kept)",
}
