"""Device requests: clear errors for devices the machine lacks, and parallel runs spread over GPUs.

No GPU is needed: ``torch.cuda`` is replaced by a machine with a given number of GPUs."""

from concurrent.futures import Future

import pytest
import torch

import lengen.experiments.reproduce as R
from lengen.devices import DeviceError, least_loaded, resolve_device, run_devices
from lengen.experiments.protocol import Arch, GroupPlan, Plan, Settings


@pytest.fixture
def gpus(monkeypatch):
    def make(n: int) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)

    return make


def test_a_gpu_index_beyond_the_machine_is_a_clear_error(gpus):
    gpus(2)
    assert resolve_device("cuda:1") == torch.device("cuda:1")
    with pytest.raises(DeviceError, match=r"'cuda:5' was requested but this machine has 2 CUDA device\(s\) "
                                          r"\(cuda:0 to cuda:1\)"):
        resolve_device("cuda:5")
    with pytest.raises(DeviceError, match="unknown device 'cuda:x'"):
        resolve_device("cuda:x")


def test_parallel_runs_may_use_every_gpu_unless_one_is_named(gpus):
    gpus(3)
    assert run_devices("cuda") == run_devices("auto") == ["cuda:0", "cuda:1", "cuda:2"]
    assert run_devices("cuda:1") == ["cuda:1"]
    assert run_devices("cpu") == ["cpu"]
    gpus(0)
    assert run_devices("auto") == ["cpu"]


def test_a_job_goes_to_the_least_loaded_device():
    devs = ["cuda:0", "cuda:1", "cuda:2"]
    assert least_loaded(devs, []) == "cuda:0"
    assert least_loaded(devs, ["cuda:0", "cuda:1"]) == "cuda:2"
    assert least_loaded(devs, ["cuda:0", "cuda:1", "cuda:2", "cuda:0"]) == "cuda:1"


def test_the_default_worker_count_is_four_per_gpu(gpus, monkeypatch):
    from lengen.experiments import cli

    monkeypatch.setattr(cli.os, "cpu_count", lambda: 16)
    gpus(2)
    assert cli._default_workers("auto") == 8 and cli._default_workers("cuda:1") == 4
    gpus(0)
    assert cli._default_workers("auto") == 2


def test_execute_spreads_worker_jobs_over_the_gpus(tmp_path, monkeypatch):
    """Worker jobs alternate between two (pretended) GPUs; the runs themselves train on the CPU."""
    asked = []

    class InlinePool:  # runs each job at once, in this process, on the CPU
        def __init__(self, *a, **k):
            pass

        def submit(self, fn, job, out, device):
            asked.append(device)
            fut = Future()
            fut.set_result(fn(job, out, "cpu"))
            return fut

        def shutdown(self, *a, **k):
            pass

    monkeypatch.setattr(R, "ProcessPoolExecutor", InlinePool)
    monkeypatch.setattr(R, "run_devices", lambda device: ["cuda:0", "cuda:1"])
    tiny = Settings(train_range=(1, 8), bins=((1, 8), (9, 16)), eval_every=5, eval_examples=10,
                    early_stop_examples=10, checkpoint_every=5)
    plan = Plan("tiny", tuple(GroupPlan(t, "ape", (Arch(1, 1, 16, 1e-3, 5),), (0,), 1, tiny)
                              for t in ("bin_majority", "tomita1", "parity")))
    lines = []
    before = torch.get_num_threads()
    try:
        ex = R.execute(plan, tmp_path, workers=2, device="cuda", log=lines.append)
    finally:
        torch.set_num_threads(before)
    assert not ex.failed and len(ex.trained) == 3
    assert asked == ["cuda:0", "cuda:1", "cuda:0"]
    assert sum("    on cuda:1" == line for line in lines) == 1
