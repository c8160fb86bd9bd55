"""The theory's predictions, computed from lengen's C-RASP program library.

A task is predicted to length-generalize

* with **APE** when the library holds a program for it in C-RASP[periodic, local], and
* with **NoPE** when it holds one in C-RASP[] (no positional predicates at all).

Every program in the library is checked against its task's generator by the test suite
(``tests/crasp/test_library.py`` and ``tests/test_predictions.py``); :func:`predict` with
``check=True`` runs that check again.  Where the library has no program, the prediction is
"fails" and the reason is the paper's argument from :data:`lengen.crasp.library.NO_PROGRAM`
(communication complexity, or the lemma that excludes the task).

Each task also carries the flags the paper states (``task.prediction``, source ``"paper"``)
so that the two can be compared; :func:`disagreements` lists where they differ.
"""

from __future__ import annotations

from functools import lru_cache

from .tasks import Prediction, get_task, task_names

APE_FRAGMENT = "C-RASP[periodic, local]"
NOPE_FRAGMENT = "C-RASP[]"


@lru_cache(maxsize=None)
def programs_for(task_name: str) -> dict[str, str]:
    """Library program names for a task (its main program and variants) mapped to their fragment."""
    from .crasp import library

    out = {}
    for name in [task_name, *library.variants(task_name)]:
        prog = library.load(name)
        if prog is not None:
            out[name] = prog.info().fragment
    return out


def predict(task_name: str, check: bool = False) -> Prediction:
    """The computed prediction for a task (source ``"crasp"``).

    ``check=True`` re-runs each program's check against the task (a few seconds); a program
    that fails it does not count."""
    from .crasp import library
    from .crasp.ast import fragment_contains

    get_task(task_name)  # unknown task -> UnknownTaskError
    found = programs_for(task_name)
    if check:
        found = {n: f for n, f in found.items() if (r := library.check_program(n)) is not None and r.ok}
    ape_prog = next((n for n, f in found.items() if fragment_contains(APE_FRAGMENT, f)), None)
    nope_prog = next((n for n, f in found.items() if f == NOPE_FRAGMENT), None)
    missing = library.NO_PROGRAM.get(task_name, {})
    if nope_prog is not None and nope_prog == ape_prog:
        reason = f"{nope_prog}.crasp is a C-RASP[] program (so both APE and NoPE)"
    elif ape_prog is not None:
        reason = f"APE: {ape_prog}.crasp is in {found[ape_prog]}; NoPE: " + (
            f"{nope_prog}.crasp is in C-RASP[]" if nope_prog is not None
            else missing.get("nope", "no C-RASP[] program is known"))
    else:
        reason = missing.get("ape", "no program in C-RASP[periodic, local] is known")
    return Prediction(ape=ape_prog is not None, nope=nope_prog is not None, reason=reason, source="crasp")


def all_predictions(check: bool = False) -> dict[str, Prediction]:
    return {name: predict(name, check) for name in task_names()}


def disagreements() -> dict[str, dict[str, tuple[bool, bool]]]:
    """Tasks whose computed flags differ from the stated ones: {task: {"ape"|"nope": (stated, computed)}}."""
    out: dict[str, dict[str, tuple[bool, bool]]] = {}
    for name in task_names():
        stated, computed = get_task(name).prediction, predict(name)
        diff = {pe: (getattr(stated, pe), getattr(computed, pe)) for pe in ("ape", "nope")
                if getattr(stated, pe) != getattr(computed, pe)}
        if diff:
            out[name] = diff
    return out
