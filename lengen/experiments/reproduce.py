"""Run a profile's experiments end to end, resumably, and write the table, figure and verdicts.

Layout of an output directory (default ``results/<profile>/``)::

    runs/<task>/<pe>-L..H..D..-lr..-s<seed>/   one directory per run (lengen.train.train writes
        result.json                              atomically at the end; checkpoint.pt while running)
        checkpoint.pt
    plan.json            the plan (every group: candidates, seeds, rules, settings); with --shard K/N
                         it is plan.shard-K-of-N.json and says which groups the shard owns
    run_info.json        command lines, lengen version, machine, compute and wall time (one entry per
                         invocation); run_info.shard-K-of-N.json for a shard
    table.csv, table.md  one row per task and PE variant: the selected model, seeds kept / tried,
                         every bin (mean over kept seeds, and mean, std, min, max over all seeds),
                         prediction, measured outcome, verdict
    figure1.png/.svg     the reproduced Figure 1 (see :mod:`lengen.experiments.figures`)
    verdicts.json        per task and PE variant: prediction, measured outcome, agreement; summary
    runs.json            every run used: run id, source directory, steps, accuracy, seconds

A rerun skips finished runs (``result.json`` present, with the same configuration) and resumes
interrupted ones (``checkpoint.pt`` present), so a long profile can be run in parts: interrupt it
(Ctrl-C) or stop it with ``--time-limit`` and run the same command again.  ``--shard K/N`` runs a
deterministic slice of the groups; ``merge`` joins the shards' directories into one table.
With ``--stack``, runs of a group that are ready together and differ only in seed or learning rate
-- the seeds of the selected architecture, the two learning rates of a sweep shape -- train as one
stacked model (:mod:`lengen.experiments.stacked_runs`): the run directories and files are the
same, and each ``result.json`` names the runs it was trained with under ``"stack"``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import shlex
import statistics
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .. import __version__
from ..devices import least_loaded, run_devices
from ..evaluate import bin_name
from ..files import read_json, write_json
from ..tasks import get_task
from .protocol import (
    GPU_RUNS_MEASURED, GPU_STEPS_PER_S, LANGUAGE_PROTOCOL_NOTE, GroupPlan, GroupStatus, Plan, ProtocolError, RunSpec, accuracy, group_status,
    makespan, run_cost, shard_plan,
)
from .verdicts import RULE, predicted_for, predictions, summarize, verdict_entry

Log = Callable[[str], None]


class ConfigMismatch(ProtocolError):
    """A run directory holds a run with another configuration than the plan asks for."""


# -------------------------------------------------------------------------------------------------
# Results on disk


def run_dir(out_dir: str | Path, rid: str) -> Path:
    return Path(out_dir) / "runs" / rid


def load_results(out_dir: str | Path) -> dict[str, dict]:
    """Every finished run under ``out_dir/runs``: run id -> result dict."""
    root = Path(out_dir) / "runs"
    out: dict[str, dict] = {}
    if not root.is_dir():
        return out
    for p in sorted(root.glob("*/*/result.json")):
        rid = f"{p.parent.parent.name}/{p.parent.name}"
        try:
            out[rid] = read_json(p)
        except (OSError, json.JSONDecodeError) as e:  # written atomically, so this means outside damage
            raise ProtocolError(f"cannot read {p} ({e}); delete that run directory to train the run again") from None
    return out


def _comparable(cfg: Mapping[str, Any]) -> dict:
    d = dict(cfg)
    d.pop("device", None)  # the same run may be trained on another device
    return d


def check_result(spec: RunSpec, result: Mapping[str, Any], where: str | Path) -> None:
    """Raise :class:`ConfigMismatch` if ``result`` was trained with another configuration than ``spec``."""
    want = _comparable(spec.train_config().to_dict())
    have = _comparable(result.get("config", {}))
    # fields present on one side only (a TrainConfig field added or removed since) are not compared
    diff = [f"{k}: {have[k]!r} on disk, {want[k]!r} planned" for k in sorted(set(want) & set(have)) if have[k] != want[k]]
    if diff or not have:
        raise ConfigMismatch(
            f"{where} holds run {spec.run_id} trained with another configuration ({'; '.join(diff[:4])}); "
            "use another --out directory, or delete that run directory to train it again"
        )


# -------------------------------------------------------------------------------------------------
# Executing runs


def _train_one(spec: RunSpec, out_dir: str, device: str, threads: int) -> dict:
    """Train one run in this process (with ``threads`` torch threads); returns a summary or an error."""
    import torch

    from ..train import train

    previous = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    d = run_dir(out_dir, spec.run_id)
    resumed = (d / "checkpoint.pt").exists()
    t0 = time.perf_counter()
    try:
        res = train(spec.train_config(device), out_dir=d, progress=False).result
    except Exception as e:
        return {"run_id": spec.run_id, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(),
                "resumed": resumed}
    finally:
        if threads > 0:
            torch.set_num_threads(previous)
    return {"run_id": spec.run_id, "result": res, "resumed": resumed, "seconds": time.perf_counter() - t0}


def _train_stack(
    specs: Sequence[RunSpec], out_dir: str, device: str, threads: int, data_workers: int = 0
) -> list[dict]:
    """Train runs of one architecture that differ only in the seed together
    (:func:`lengen.experiments.stacked_runs.train_stacked`); one summary per run, as :func:`_train_one`."""
    import torch

    from .stacked_runs import train_stacked

    previous = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    dirs = [run_dir(out_dir, s.run_id) for s in specs]
    resumed = [(d / "checkpoint.pt").exists() for d in dirs]
    t0 = time.perf_counter()
    try:
        results = train_stacked([s.train_config(device) for s in specs], dirs, device=device,
                                data_workers=data_workers)
    except Exception as e:
        return [{"run_id": s.run_id, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(),
                 "resumed": r} for s, r in zip(specs, resumed)]
    finally:
        if threads > 0:
            torch.set_num_threads(previous)
    seconds = time.perf_counter() - t0
    return [{"run_id": s.run_id, "result": res, "resumed": r, "seconds": seconds}
            for s, res, r in zip(specs, results, resumed)]


def _stacks(specs: Sequence[RunSpec]) -> list[list[RunSpec]]:
    """Group runs (of one task and PE variant) that differ only in seed and learning rate, in order."""
    jobs: dict[tuple, list[RunSpec]] = {}
    for s in specs:
        a = s.arch
        jobs.setdefault((a.n_layer, a.n_head, a.d_model, a.steps, a.warmup, a.name), []).append(s)
    return list(jobs.values())


def _stack_data_workers(device: str, workers: int) -> int:
    """Processes drawing a stack's batches: on a GPU with one stack at a time, up to 4 (drawing K
    batches in Python costs about as much as a small model's step there); otherwise none."""
    from ..devices import resolve_device

    if workers > 1 or resolve_device(device).type != "cuda":
        return 0
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def _worker_init(threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, threads))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass


def _worker_run(job: list[RunSpec], out_dir: str, device: str) -> list[dict]:
    if len(job) == 1:
        return [_train_one(job[0], out_dir, device, threads=0)]
    return _train_stack(job, out_dir, device, threads=0)


@dataclass
class Execution:
    """What one invocation did."""

    trained: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # finished before this invocation
    failed: dict[str, str] = field(default_factory=dict)
    stopped_by_time_limit: bool = False
    interrupted: bool = False
    wall_seconds: float = 0.0
    started: str = ""


def _fmt_acc(result: Mapping[str, Any], bins: Sequence) -> str:
    return " / ".join(f"{100 * accuracy(result, b):.1f}" for b in bins)


def execute(
    plan: Plan,
    out_dir: str | Path,
    workers: int = 1,
    threads: int = 1,
    device: str = "auto",
    time_limit: float | None = None,
    log: Log = print,
    record: Execution | None = None,
    stack: bool = False,
) -> Execution:
    """Train every run the plan needs that is not finished yet, ``workers`` at a time.

    ``workers == 1`` trains in this process; more start that many worker processes (spawned, one
    torch thread each unless ``threads`` says otherwise; a script that calls this with workers > 1
    needs the usual ``if __name__ == "__main__":`` guard).  Runs become ready as the rules allow
    (sweep first, then seeds); sweep runs start simplest first, other runs longest first.
    With several GPUs and ``device`` "cuda" or "auto", the worker processes' jobs spread over all
    of them (each job on the GPU with the fewest running jobs); "cuda:k" keeps every job on GPU k.
    ``stack``: runs of a group that are ready together and differ only in seed or learning rate (the
    seeds of the selected architecture; the learning rates of one shape in the sweep) train as one
    stacked model (:mod:`lengen.experiments.stacked_runs`; for GPUs), one job.
    ``time_limit`` (seconds): no run starts after it has passed (running ones finish).  Ctrl-C stops
    at once; checkpoints are kept and a rerun resumes.  ``record``: an :class:`Execution` to fill in (so that an interrupted caller
    still knows what was done)."""
    out = Path(out_dir)
    t_start = time.perf_counter()
    ex = record if record is not None else Execution(started=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    results = load_results(out)
    specs_seen: dict[str, RunSpec] = {}

    def status_all(busy: Iterable[str]) -> list[GroupStatus]:
        return [group_status(g, results, busy) for g in plan.groups]

    # validate finished runs that the plan uses, and note them as skipped
    for st in status_all(()):
        for spec in _used_specs(st):
            if spec.run_id in results:
                check_result(spec, results[spec.run_id], run_dir(out, spec.run_id))
                if spec.run_id not in ex.skipped:
                    ex.skipped.append(spec.run_id)

    running: dict[str, Any] = {}  # job key (its first run id) -> future (None in this process)
    members: dict[str, list[str]] = {}  # job key -> run ids of the job
    pool: ProcessPoolExecutor | None = None
    broken = False
    n_done = 0

    def ready_now() -> list[list[RunSpec]]:
        """The jobs that can start now, in order; a job is one run, or a stack of seeds."""
        busy = {rid for ids in members.values() for rid in ids} | set(ex.failed)
        seen, ready = set(), []
        for st in status_all(busy):
            specs = [s for s in st.ready if s.run_id not in seen]
            seen.update(s.run_id for s in specs)
            jobs = _stacks(specs) if stack else [[spec] for spec in specs]
            for i, job in enumerate(jobs):
                # sweep runs simplest first (a simple configuration at 100% / 100% ends the sweep
                # early); other runs longest first (shortest overall wall time)
                ready.append(((1, i, 0.0) if st.stage == "sweep" else (0, 0, -run_cost(job[0])), job))
        ready.sort(key=lambda kv: kv[0])
        return [job for _, job in ready]

    def finish(summary: dict) -> None:
        nonlocal n_done
        rid = summary["run_id"]
        n_done += 1
        if "error" in summary:
            ex.failed[rid] = summary["error"]
            log(f"  FAILED {rid}: {summary['error']}")
            return
        res = summary["result"]
        results[rid] = res
        ex.trained.append(rid)
        if summary.get("resumed"):
            ex.resumed.append(rid)
        spec = specs_seen[rid]
        log(f"  done {rid}: {res['steps']} steps{' (early stop)' if res['stopped_early'] else ''}, "
            f"{res['wall_seconds']:.0f} s{' (resumed)' if summary.get('resumed') else ''}; "
            f"accuracy % {_fmt_acc(res, spec.settings.bins)}")

    def start(job: list[RunSpec]) -> str:
        key = job[0].run_id
        members[key] = [s.run_id for s in job]
        for spec in job:
            specs_seen[spec.run_id] = spec
        ck = [(run_dir(out, s.run_id) / "checkpoint.pt").exists() for s in job]
        spec = job[0]
        if len(job) == 1:
            log(f"  start {spec.run_id} ({spec.arch.short}, <= {spec.arch.steps} steps)"
                f"{' resuming from its checkpoint' if ck[0] else ''}")
        else:
            a = spec.arch
            runs = ", ".join(f"seed {s.seed} lr {s.arch.lr:.0e}" for s in job)
            log(f"  start {len(job)} runs together of {spec.task}/{spec.pe} ({a.n_layer}/{a.n_head}/{a.d_model}, "
                f"<= {a.steps} steps): {runs}{f'; {sum(ck)} resuming from their checkpoints' if any(ck) else ''}")
        return key

    stack_workers = _stack_data_workers(device, workers) if stack else 0
    # worker processes spread over every GPU ("cuda" / "auto" on a machine with several); a job
    # goes to the GPU with the fewest running jobs
    spread = run_devices(device) if workers > 1 else [device]
    job_device: dict[str, str] = {}

    def run_here(job: list[RunSpec]) -> list[dict]:
        if len(job) == 1:
            return [_train_one(job[0], str(out), device, threads)]
        return _train_stack(job, str(out), device, threads, stack_workers)

    try:
        if workers > 1:
            import multiprocessing as mp

            pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                       initializer=_worker_init, initargs=(threads,))
        while True:
            over = time_limit is not None and time.perf_counter() - t_start > time_limit
            ready = [] if over else ready_now()
            if over and not ex.stopped_by_time_limit and ready_now():
                ex.stopped_by_time_limit = True
                log(f"  time limit reached: no new runs start; rerun the command to continue")
            if pool is None:
                if not ready:
                    break
                key = start(ready[0])
                running[key] = None
                summaries = run_here(ready[0])
                del running[key], members[key]
                for summary in summaries:
                    finish(summary)
                continue
            if broken:
                ready = []
            for job in ready[: max(0, workers - len(running))]:
                key = start(job)
                job_device[key] = dev = least_loaded(spread, [job_device[k] for k in running])
                if len(spread) > 1:
                    log(f"    on {dev}")
                running[key] = pool.submit(_worker_run, job, str(out), dev)
            if not running:
                break
            done, _ = wait(list(running.values()), return_when=FIRST_COMPLETED)
            for fut in done:
                key = next(k for k, v in running.items() if v is fut)
                del running[key]
                job_device.pop(key, None)
                ids = members.pop(key)
                try:
                    summaries = fut.result()
                except Exception as e:  # a worker process died: the pool is unusable, start nothing more
                    summaries = [{"run_id": rid, "error": f"worker process failed: {type(e).__name__}: {e}"}
                                 for rid in ids]
                    if not broken:
                        log("  a worker process died; no new runs start (rerun the command to resume)")
                    broken = True
                for summary in summaries:
                    finish(summary)
    except KeyboardInterrupt:
        ex.interrupted = True
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
        ex.wall_seconds = time.perf_counter() - t_start
    return ex


def _used_specs(st: GroupStatus) -> list[RunSpec]:
    gp = st.plan
    specs = [gp.spec(a, gp.sweep_seed) for a, _, _ in st.sweep]
    if st.selected is not None:
        specs += [gp.spec(st.selected, s.seed) for s in st.seeds]
    return specs


# -------------------------------------------------------------------------------------------------
# Tables


@dataclass
class Row:
    """One task x PE variant, summarised."""

    task: str
    pe: str
    status: GroupStatus
    prediction: dict
    kept_mean: list[float] | None
    all_mean: list[float] | None
    all_std: list[float] | None
    all_min: list[float] | None
    all_max: list[float] | None
    reported: list[float] | None
    reported_from: str
    verdict: dict


def _mean(xs: Sequence[float]) -> float:
    return float(sum(xs) / len(xs))


def summarize_group(st: GroupStatus, pred: Mapping[str, Any]) -> Row:
    gp = st.plan
    bins = gp.settings.bins
    fin = st.finished
    kept = [s for s in fin if s.kept]
    per_bin = lambda runs, f: [f([accuracy(s.result, b) for s in runs]) for b in bins] if runs else None  # noqa: E731
    all_mean = per_bin(fin, _mean)
    kept_mean = per_bin(kept, _mean)
    all_std = per_bin(fin, lambda xs: float(statistics.stdev(xs)) if len(xs) > 1 else 0.0)
    reported, src = (kept_mean, "kept") if kept_mean is not None else (all_mean, "all seeds (none kept)" if fin else "")
    v = verdict_entry(gp.task, gp.pe, pred, reported[0] if reported else None, reported[-1] if reported else None,
                      bin_name(bins[-1]))
    v.update(
        architecture=st.selected.short if st.selected else None,
        selection=st.selection,
        seeds_tried=len(fin),
        seeds_kept=len(kept),
        seeds_discarded=len(st.discarded),
        complete=st.complete,
        reported_from=src,
    )
    return Row(gp.task, gp.pe, st, dict(pred), kept_mean, all_mean, all_std, per_bin(fin, min), per_bin(fin, max),
               reported, src, v)


def _row_order(plan: Plan) -> list[GroupPlan]:
    def key(g: GroupPlan) -> tuple:
        t = get_task(g.task)
        kind = {"algorithmic": 0, "language": 1}.get(t.kind, 2)
        from ..tasks import task_names

        idx = getattr(t, "figure_index", 0) if t.kind == "language" else task_names().index(t.name)
        return (kind, idx, g.task, ("ape", "nope", "reg").index(g.pe))

    return sorted(plan.groups, key=key)


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.2f}"


def table_csv(rows: Sequence[Row], bins: Sequence) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = ["task", "kind", "figure_index", "pe", "architecture", "max_steps", "selection", "seeds_tried",
            "seeds_kept", "seeds_discarded", "keep_threshold"]
    for b in bins:
        n = bin_name(b)
        head += [f"{n} mean", f"{n} all_mean", f"{n} all_std", f"{n} min", f"{n} max"]
    head += ["reported_from", "predicted", "prediction_source", "measured", "verdict", "fitted", "complete"]
    w.writerow(head)
    for r in rows:
        t = get_task(r.task)
        st = r.status
        line = [r.task, t.kind, getattr(t, "figure_index", ""), r.pe, st.selected.short if st.selected else "",
                st.selected.steps if st.selected else "", st.selection, len(st.finished), len(st.kept),
                len(st.discarded), st.threshold]
        for i in range(len(bins)):
            line += [_pct(v[i] if v else None) for v in (r.reported, r.all_mean, r.all_std, r.all_min, r.all_max)]
        v = r.verdict
        line += [r.reported_from, v["predicted"], v["prediction_source"], v["measured"],
                 {True: "agree", False: "disagree", None: "inconclusive" if v["measured"] != "not run" else ""}[v["agrees"]],
                 "" if v["fitted"] is None else v["fitted"], st.complete]
        w.writerow(line)
    return buf.getvalue()


def _cell(r: Row, i: int) -> str:
    if r.reported is None:
        return "–"
    n = len(r.status.finished)
    main = f"{100 * r.reported[i]:.1f}"
    if n <= 1:
        return main
    spread = f"{100 * r.all_min[i]:.1f}–{100 * r.all_max[i]:.1f}"  # type: ignore[index]
    if len(r.status.kept) in (0, n):  # the reported mean is over every seed
        return f"{main} ± {100 * r.all_std[i]:.1f} ({spread})"  # type: ignore[index]
    return f"{main} (all {n}: {100 * r.all_mean[i]:.1f} ± {100 * r.all_std[i]:.1f}, {spread})"  # type: ignore[index]


def table_md(rows: Sequence[Row], bins: Sequence, profile: str, summary: str) -> str:
    mark = {True: "✓", False: "✗"}
    verdict_word = {True: "agree", False: "**disagree**", None: "inconclusive"}
    lines = [
        f"# lengen reproduce: profile `{profile}`",
        "",
        f"**{summary}**",
        "",
        "Cells: exact-match accuracy (%) in each length bin, mean over the seeds kept by the selection rule "
        "(kept = 100% in-distribution; threshold 0 for the big fallback); with several seeds, ± the standard "
        "deviation and the min–max over every seed tried, and the all-seed mean when the rule discarded some. "
        "Predicted: ✓ a C-RASP program exists for the variant (C-RASP[periodic, local] for APE/Reg, C-RASP[] for "
        "NoPE). Measured on the last bin: generalizes ≥ 90%, fails < 50%, otherwise inconclusive.",
        "",
        f"Note: {LANGUAGE_PROTOCOL_NOTE}",
        "",
        "| task | PE | model (layers/heads/d, lr) | seeds kept / tried | "
        + " | ".join(bin_name(b) for b in bins) + " | predicted | measured | verdict |",
        "|---|---|---|---|" + "---|" * len(bins) + "---|---|---|",
    ]
    for r in rows:
        t = get_task(r.task)
        name = f"{t.figure_index}. {r.task}" if t.kind == "language" else r.task
        st, v = r.status, r.verdict
        seeds = f"{len(st.kept)} / {len(st.finished)}" + ("" if st.complete else " (incomplete)")
        measured = v["measured"] + ("" if v["fitted"] in (True, None) else " (not fitted)")
        verdict = "" if v["measured"] == "not run" else verdict_word[v["agrees"]]
        lines.append(
            f"| {name} | {r.pe} | {st.selected.short if st.selected else '–'} | {seeds} | "
            + " | ".join(_cell(r, i) for i in range(len(bins)))
            + f" | {mark[v['program_exists']]} {v['predicted']} | {measured} | {verdict} |"
        )
    sources = sorted({r.prediction["source"] for r in rows})
    lines += ["", f"Prediction source: {', '.join(sources)}."]
    notes = sorted({(r.task, r.prediction["note"]) for r in rows if r.prediction.get("note")})
    lines += [f"- {task}: {note}" for task, note in notes]
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------------------------
# Reports


def machine_info(device: str, workers: int, threads: int) -> dict:
    import torch

    from ..devices import describe, resolve_device

    gpus: list[str] = []
    try:
        resolved = resolve_device(device)
        dev = describe(resolved)
        if resolved.type == "cpu":
            dev = f"cpu ({platform.processor() or platform.machine()}), {threads} torch thread(s) per run"
        else:
            used = run_devices(device) if workers > 1 else [str(resolved)]
            gpus = [f"{d}: {describe(torch.device(d))}" for d in used]
            if len(gpus) > 1:
                dev = f"{len(gpus)} GPUs ({', '.join(gpus)})"
        resolved_name = str(resolved)
    except Exception as e:  # noqa: BLE001 - a description only
        dev, resolved_name = f"{device} ({e})", device
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "workers": workers,
        "torch_threads_per_worker": threads,
        "device": device,
        "resolved_device": resolved_name,
        "device_description": dev,
        "gpus": gpus,
    }


def _compute_seconds(results: Iterable[Mapping[str, Any]]) -> dict:
    """Compute time of the runs: each separate run's time, plus each stack's time once (its longest
    member: the runs of a stack share one clock, see :mod:`lengen.experiments.stacked_runs`)."""
    from .stacked_runs import stack_key

    rs = list(results)
    wall = train = 0.0
    stacks: dict[str, tuple[float, float]] = {}
    for r in rs:
        w, t = float(r.get("wall_seconds", 0.0)), float(r.get("train_seconds", 0.0))
        key = stack_key(r)
        if key is None:
            wall, train = wall + w, train + t
        else:
            w0, t0 = stacks.get(key, (0.0, 0.0))
            stacks[key] = (max(w0, w), max(t0, t))
    wall += sum(w for w, _ in stacks.values())
    train += sum(t for _, t in stacks.values())
    return {
        "runs": len(rs),
        "stacked_runs": sum(1 for r in rs if stack_key(r) is not None),
        "compute_seconds": round(wall, 1),
        "train_seconds": round(train, 1),
    }


def report(
    plan: Plan,
    results: Mapping[str, Mapping[str, Any]],
    out_dir: str | Path,
    sources: Mapping[str, str] | None = None,
    use_library: bool = True,
    log: Log = print,
    baselines: Mapping[str, Sequence[float]] | None = None,
) -> dict:
    """Write ``table.csv``, ``table.md``, ``figure1.png/.svg``, ``verdicts.json`` and ``runs.json``;
    returns the verdict summary.  ``sources``: run id -> directory it came from (for merges)."""
    from .figures import figure1

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    groups = _row_order(plan)
    tasks = list(dict.fromkeys(g.task for g in groups))
    preds = predictions(tasks, use_library=use_library)
    rows = [summarize_group(group_status(g, results), preds[g.task]) for g in groups]
    bins = plan.groups[0].settings.bins if plan.groups else ()
    summ = summarize([r.verdict for r in rows])

    _write_text(out / "table.csv", table_csv(rows, bins))
    _write_text(out / "table.md", table_md(rows, bins, plan.profile, summ["summary"]))
    write_json(out / "verdicts.json", {
        "profile": plan.profile,
        "summary": summ["summary"],
        "counts": {k: v for k, v in summ.items() if k != "summary"},
        "rule": RULE,
        "protocol_note": LANGUAGE_PROTOCOL_NOTE,
        "entries": [r.verdict for r in rows],
    })
    used = []
    for r in rows:
        for spec in _used_specs(r.status):
            res = results.get(spec.run_id)
            if res is None:
                continue
            used.append({
                "run_id": spec.run_id,
                "source": (sources or {}).get(spec.run_id, str(out)),
                "task": spec.task, "pe": spec.pe, "architecture": spec.arch.short, "seed": spec.seed,
                "steps": res["steps"], "stopped_early": res["stopped_early"],
                "accuracy": res["accuracy"], "wall_seconds": res.get("wall_seconds"),
                "device": res.get("device"),
            })
    write_json(out / "runs.json", used)
    fig_rows = {}
    for r in rows:
        fig_rows[(r.task, r.pe)] = {
            "mean": r.reported, "min": r.all_min, "max": r.all_max,
            "program": predicted_for(r.prediction, r.pe),
        }
    figure1(fig_rows, bins, out, title=f"lengen reproduce, profile '{plan.profile}': {summ['summary']}",
            baselines=baselines)
    return summ


def _write_text(path: Path, text: str) -> None:
    from ..files import atomic_write_bytes

    atomic_write_bytes(path, text.encode())


def _shard_suffix(shard: tuple[int, int] | None) -> str:
    return f".shard-{shard[0]}-of-{shard[1]}" if shard else ""


def write_plan(out_dir: Path, full: Plan, shard: tuple[int, int] | None, options: Mapping[str, Any]) -> Path:
    own = shard_plan(full, *shard) if shard else full
    path = out_dir / f"plan{_shard_suffix(shard)}.json"
    write_json(path, {
        "lengen_version": __version__,
        "profile": full.profile,
        "fingerprint": full.fingerprint(),
        "shard": list(shard) if shard else None,
        "groups_owned": own.keys(),
        "options": dict(options),
        "plan": full.to_dict(),
        "protocol_note": LANGUAGE_PROTOCOL_NOTE,
    })
    return path


def write_run_info(out_dir: Path, shard: tuple[int, int] | None, ex: Execution, machine: dict, plan: Plan,
                   results: Mapping[str, Mapping[str, Any]], argv: Sequence[str]) -> Path:
    path = out_dir / f"run_info{_shard_suffix(shard)}.json"
    old = read_json(path) if path.exists() else {}
    invocations = list(old.get("invocations", []))
    invocations.append({
        "started": ex.started,
        "command": " ".join(shlex.quote(a) for a in argv),
        "wall_seconds": round(ex.wall_seconds, 1),
        "trained": len(ex.trained),
        "resumed": ex.resumed,
        "skipped_finished": len(ex.skipped),
        "failed": ex.failed,
        "stopped_by_time_limit": ex.stopped_by_time_limit,
        "interrupted": ex.interrupted,
        "machine": machine,
    })
    used = {}
    for g in plan.groups:
        for spec in _used_specs(group_status(g, results)):
            if spec.run_id in results:
                used[spec.run_id] = results[spec.run_id]
    info = {
        "command": invocations[-1]["command"],
        "lengen_version": __version__,
        "profile": plan.profile,
        "shard": list(shard) if shard else None,
        "machine": machine,
        **_compute_seconds(used.values()),
        "compute_note": "compute_seconds sums every run's wall_seconds (training including resumed parts, "
                        "plus evaluation), counting runs trained together as one stack once; "
                        "wall_seconds sums the invocations",
        "wall_seconds": round(sum(i["wall_seconds"] for i in invocations), 1),
        "invocations": invocations,
        "protocol_note": LANGUAGE_PROTOCOL_NOTE,
    }
    write_json(path, info)
    return path


def reproduce(
    plan: Plan,
    out_dir: str | Path,
    shard: tuple[int, int] | None = None,
    workers: int = 1,
    threads: int = 1,
    device: str = "auto",
    time_limit: float | None = None,
    options: Mapping[str, Any] | None = None,
    argv: Sequence[str] | None = None,
    use_library: bool = True,
    log: Log = print,
    stack: bool = False,
) -> dict:
    """Run (the shard of) a plan and, unsharded, write the report.  Returns a summary dict.
    ``stack``: see :func:`execute`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    own = shard_plan(plan, *shard) if shard else plan
    write_plan(out, plan, shard, options or {})
    machine = machine_info(device, workers, threads)
    log(f"lengen reproduce: profile {plan.profile}, {len(own.groups)} task x PE groups"
        f"{f' (shard {shard[0]}/{shard[1]} of {len(plan.groups)})' if shard else ''}, "
        f"{workers} worker(s), device {machine['device_description']}, output {out}/")
    t0 = time.perf_counter()
    argv = list(argv if argv is not None else sys.argv)
    ex = Execution(started=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    try:
        execute(own, out, workers=workers, threads=threads, device=device, time_limit=time_limit, log=log, record=ex,
                stack=stack)
    except BaseException:  # interrupted or failed: record what was done, then re-raise
        ex.interrupted = True
        ex.wall_seconds = time.perf_counter() - t0
        write_run_info(out, shard, ex, machine, own, load_results(out), argv)
        raise
    results = load_results(out)
    statuses = [group_status(g, results) for g in own.groups]
    n_incomplete = sum(not s.complete for s in statuses)
    log(f"trained {len(ex.trained)} run(s) ({len(ex.resumed)} resumed), {len(ex.skipped)} already finished, "
        f"{len(ex.failed)} failed; {ex.wall_seconds:.0f} s")
    summary: dict[str, Any] = {"execution": ex, "incomplete_groups": n_incomplete}
    if shard:
        ex.wall_seconds = time.perf_counter() - t0
        write_run_info(out, shard, ex, machine, own, results, argv)
        log(f"shard {shard[0]}/{shard[1]} {'complete' if not n_incomplete else f'has {n_incomplete} incomplete groups'}; "
            "when every shard is done: lengen reproduce merge DIR1 DIR2 ... --out DIR")
        return summary
    summ = report(plan, results, out, use_library=use_library, log=log)
    summary["verdicts"] = summ
    ex.wall_seconds = time.perf_counter() - t0  # the whole invocation: runs, report and figure
    write_run_info(out, shard, ex, machine, own, results, argv)
    if n_incomplete:
        log(f"{n_incomplete} group(s) incomplete: rerun the same command to continue")
    log(f"wrote {out}/table.md, table.csv, figure1.png, figure1.svg, verdicts.json, run_info.json")
    log(summ["summary"])
    return summary


# -------------------------------------------------------------------------------------------------
# Merging shards


def _read_plans(d: Path) -> list[dict]:
    files = sorted(d.glob("plan*.json"))
    if not files:
        raise FileNotFoundError(f"{d} has no plan.json or plan.shard-K-of-N.json; pass directories written by "
                                "'lengen reproduce'")
    return [read_json(f) for f in files]


def merge(dirs: Sequence[str | Path], out_dir: str | Path | None = None, use_library: bool = True,
          argv: Sequence[str] | None = None, log: Log = print) -> dict:
    """Join the run files of several output directories (the shards of one plan) into one report.

    Every directory must hold a plan of the same protocol (same fingerprint).  Runs are taken from
    every directory (the first directory wins when two hold the same finished run); each is
    checked against the plan's configuration."""
    dirs = [Path(d) for d in dirs]
    if not dirs:
        raise ProtocolError("merge needs at least one directory")
    plans = [(d, p) for d in dirs for p in _read_plans(d)]
    prints = {p["fingerprint"] for _, p in plans}
    if len(prints) != 1:
        detail = ", ".join(f"{d}: {p['fingerprint']} ({p['profile']})" for d, p in plans)
        raise ProtocolError(f"the directories hold different plans ({detail}); merge only shards of one command")
    plan = Plan.from_dict(plans[0][1]["plan"])
    shard_counts = {p["shard"][1] for _, p in plans if p["shard"]}
    owned = {k for _, p in plans for k in p["groups_owned"]}
    missing = [g.key for g in plan.groups if g.key not in owned]
    if missing:
        log(f"warning: no shard here owns {len(missing)} group(s) ({', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}); "
            "their rows will be incomplete")
    if len(shard_counts) > 1:
        log(f"warning: shards of different splits ({sorted(shard_counts)}) are merged")
    results: dict[str, dict] = {}
    sources: dict[str, str] = {}
    for d in dirs:
        for rid, res in load_results(d).items():
            if rid not in results:
                results[rid] = res
                sources[rid] = str(d)
    out = Path(out_dir) if out_dir else Path("results") / plan.profile
    for g in plan.groups:
        for spec in _used_specs(group_status(g, results)):
            if spec.run_id in results:
                check_result(spec, results[spec.run_id], sources[spec.run_id])
    out.mkdir(parents=True, exist_ok=True)
    summ = report(plan, results, out, sources=sources, use_library=use_library, log=log)
    shard_infos = []
    for d in dirs:
        for f in sorted(d.glob("run_info*.json")):
            info = read_json(f)
            if "shards" in info:  # an earlier merge: keep the shards it recorded, not the merge itself
                shard_infos.extend(info["shards"])
            else:
                shard_infos.append({"file": str(f), **{k: v for k, v in info.items() if k != "invocations"}})
    used = {}
    for g in plan.groups:
        for spec in _used_specs(group_status(g, results)):
            if spec.run_id in results:
                used[spec.run_id] = results[spec.run_id]
    walls = [float(s.get("wall_seconds", 0.0)) for s in shard_infos]
    write_json(out / "run_info.json", {
        "command": " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv)),
        "lengen_version": __version__,
        "profile": plan.profile,
        "merged_from": [str(d) for d in dirs],
        **_compute_seconds(used.values()),
        "wall_seconds_sum_over_shards": round(sum(walls), 1),
        "wall_seconds_longest_shard": round(max(walls), 1) if walls else 0.0,
        "shards": shard_infos,
        "protocol_note": LANGUAGE_PROTOCOL_NOTE,
    })
    statuses = [group_status(g, results) for g in plan.groups]
    n_incomplete = sum(not s.complete for s in statuses)
    log(f"merged {len(dirs)} director{'y' if len(dirs) == 1 else 'ies'}: {len(used)} runs, "
        f"{n_incomplete} incomplete group(s); wrote {out}/table.md, table.csv, figure1.png, figure1.svg, "
        "verdicts.json, run_info.json")
    log(summ["summary"])
    return {"verdicts": summ, "incomplete_groups": n_incomplete, "out": out}


# -------------------------------------------------------------------------------------------------
# Dry run


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def describe_plan(plan: Plan, shard: tuple[int, int] | None = None, workers: int = 2, list_runs: bool = True) -> str:
    """The run list and its estimated cost (CPU, one thread per run; see protocol.run_cost)."""
    from .protocol import LOAD_FACTOR

    own = shard_plan(plan, *shard) if shard else plan
    lines = [f"profile {plan.profile}: {len(own.groups)} groups (task x PE)"
             + (f", shard {shard[0]}/{shard[1]} of {len(plan.groups)}" if shard else "")]
    static = own.static_runs()
    costs = [run_cost(s) for s in static]
    dynamic_note = []
    for g in own.groups:
        extra = []
        if g.has_sweep:
            extra.append(f"then the seeds of the selected configuration: up to {g.n_keep - 1} more kept "
                         f"(trying up to {len(g.seeds)} seeds)")
            if g.fallback:
                extra.append(f"or, if nothing fits, the fallback {g.fallback.short} x {g.n_keep}")
        elif len(g.seeds) > g.n_keep:
            extra.append(f"up to {len(g.seeds) - g.n_keep} extra seeds if the filter discards some")
        if extra:
            dynamic_note.append((g.key, "; ".join(extra)))
    if list_runs:
        lines.append(f"{'run':<56} {'max steps':>9} {'est. s':>8}")
        for s, c in zip(static, costs):
            lines.append(f"{s.run_id:<56} {s.arch.steps:>9} {c:>8.0f}")
    total = sum(costs)
    lines.append(f"{len(static)} runs known in advance; estimated compute (upper bound: every run to its step cap, "
                 f"one CPU thread each): {_duration(total)}")
    for w in sorted({1, workers}):
        ms = makespan(costs, w)
        lines.append(f"  wall with {w} worker(s): {_duration(ms)} on an idle machine, "
                     f"{_duration(LOAD_FACTOR * ms)} if outside load slows it {LOAD_FACTOR:.0f}x")
    if dynamic_note:
        g0 = own.groups[0]
        per_group_seed = 0.0
        if g0.has_sweep:
            seed_costs = []
            for g in own.groups:
                worst = max(g.candidates, key=lambda a: run_cost(g.spec(a, 0)))
                seed_costs.append((g.n_keep - 1) * run_cost(g.spec(worst, 0)))
            per_group_seed = sum(seed_costs)
            big = []
            for g in own.groups:
                if g.fallback:
                    big.append(g.n_keep * run_cost(g.spec(g.fallback, 0)))
            lines.append(f"runs decided later: {len(own.groups)} groups x up to {g0.n_keep - 1} more seeds "
                         f"(<= {per_group_seed / 3600:.1f} h on CPU with the largest candidate)"
                         + (f"; each big fallback adds {min(big) / 3600:.0f} h on CPU per group" if big else ""))
            steps = sum(s.arch.steps for s in static)
            gpu_h = steps / (GPU_STEPS_PER_S * GPU_RUNS_MEASURED) / 3600
            lines.append(f"  the paper profile is meant for a GPU. At the speed of {GPU_RUNS_MEASURED} paper-size runs "
                         f"sharing one H100 ({GPU_STEPS_PER_S:.0f} steps/s each, results/copy_gpu), the runs "
                         f"known in advance would take about {gpu_h:.0f} GPU-hours if every run went to its cap (an upper "
                         "figure: most runs stop early, and on an H100 4 runs at once, the default, completed 2.8x to "
                         "4.0x the runs per hour of one at a time; benchmarks/README.md)")
        else:
            lines.append(f"runs decided later: {dynamic_note[0][1]} (per group)")
    return "\n".join(lines)
