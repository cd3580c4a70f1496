"""The `--device` a run or a training asks for, checked before any model is loaded: a GPU that
is not there is one clear line, not PyTorch's traceback in the middle of the work."""

from __future__ import annotations

import re

_CUDA = re.compile(r"^(?:cuda:?)?(\d+(?:,\d+)*)$|^cuda$")


class DeviceError(ValueError):
    """The device asked for is not on this machine; the message names it and what is."""


def check_device(device: str) -> None:
    """`cpu`, `mps` (Apple), or a CUDA GPU: `0`, `0,1`, `cuda`, `cuda:0`."""
    name = device.strip().lower()
    if name == "cpu":
        return
    import torch  # only when a GPU is asked for: importing it is slow

    if name == "mps":
        if not torch.backends.mps.is_available():
            raise DeviceError("--device mps: no Apple GPU (MPS) is available here; use cpu")
        return
    match = _CUDA.match(name)
    if match is None:
        raise DeviceError(f"--device {device!r}: use cpu, mps, or a CUDA GPU such as 0 or cuda:0")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    wanted = [int(i) for i in (match.group(1) or "0").split(",")]
    missing = [i for i in wanted if i >= count]
    if missing:
        seen = f"{count} CUDA GPU(s)" if count else "no CUDA GPU"
        raise DeviceError(
            f"--device {device!r}: PyTorch sees {seen} here (GPU {missing[0]} asked for); "
            "use --device cpu"
        )
