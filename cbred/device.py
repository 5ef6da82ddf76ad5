"""Device selection shared by every torch computation of cbred."""

from __future__ import annotations

import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA when present, else CPU; other names are checked, not guessed.

    Raises
    ------
    ValueError
        For an unknown name, or a requested accelerator this machine does not have.
    """
    if isinstance(device, torch.device):
        return device
    name = str(device).lower()
    kind = name.split(":")[0]
    if kind not in DEVICE_CHOICES:
        raise ValueError(f"unknown device {device!r} (choices: {', '.join(DEVICE_CHOICES)})")
    if kind == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available here")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {device!r} requested but MPS is not available here")
    return torch.device(name)
