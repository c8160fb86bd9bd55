"""Choosing where tensors live: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda[:k]"``."""

from __future__ import annotations

import contextlib

import torch


class DeviceError(RuntimeError):
    """A device was requested that this machine does not have."""


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn a device request into a ``torch.device``; asking for CUDA without one is a :class:`DeviceError`."""
    if isinstance(device, torch.device):
        device = str(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(
                f"device {device!r} was requested but CUDA is not available on this machine "
                "(torch.cuda.is_available() is False); use --device cpu or --device auto"
            )
        try:
            dev = torch.device(device)
        except RuntimeError:
            raise DeviceError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda' or 'cuda:k'") from None
        n = torch.cuda.device_count()
        if dev.index is not None and dev.index >= n:
            raise DeviceError(
                f"device {device!r} was requested but this machine has {n} CUDA device(s) "
                f"(cuda:0 to cuda:{n - 1}); use one of those, or --device cuda"
            )
        return dev
    if device == "cpu":
        return torch.device("cpu")
    raise DeviceError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda' or 'cuda:k'")


def run_devices(device: str = "auto") -> list[str]:
    """The devices that parallel runs may spread over: every visible GPU for ``"auto"`` (with CUDA)
    or ``"cuda"``; just the one asked for otherwise (``"cpu"``, ``"cuda:k"``)."""
    dev = resolve_device(device)
    if dev.type == "cuda" and dev.index is None:
        return [f"cuda:{i}" for i in range(max(1, torch.cuda.device_count()))]
    return [str(dev)]


def least_loaded(devices: list[str], busy: list[str]) -> str:
    """The device of ``devices`` with the fewest entries in ``busy`` (the devices of the jobs
    running now); ties go to the first."""
    return min(devices, key=lambda d: (busy.count(d), devices.index(d)))


def autocast(device: torch.device) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA, nothing on CPU (CPU training stays in float32)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def describe(device: torch.device) -> str:
    """A one-line description of the device for result files."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    import platform

    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
