"""The number format of the PyTorch detector on the CPU (`--detector-precision`).

A CPU with AMX (Intel Xeon since Sapphire Rapids) multiplies bfloat16 matrices in hardware: there
the detector at 416 px runs about 1.8 times as fast in bfloat16 as in float32 and decides alike
on the real photos (the same crops, every box within IoU 0.96 of its float32 box; figures in
README "Choosing the detector"). Elsewhere bfloat16 is emulated and slower, so `auto` takes it
only where AMX is present. A GPU, an MPS device and an exported model (ONNX, OpenVINO) run as they
always have, in the format their runtime uses.

The classifier stays in float32: its thresholds are calibrated on float32 predictions, and in
bfloat16 its probabilities move by up to 0.02, enough to carry a crop across a threshold, for a
saving of about 4 % of the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from filtering.weights import WeightsError

PRECISIONS = ("auto", "float32", "bfloat16")


def uses_bfloat16(precision: str, device: str, weights: str | Path) -> bool:
    """Whether a PyTorch detector from `weights` runs in bfloat16 on `device`."""
    if precision not in PRECISIONS:
        choices = ", ".join(PRECISIONS)
        raise WeightsError(f"unknown --detector-precision {precision!r}: use {choices}")
    if device.strip().lower() != "cpu" or Path(weights).suffix != ".pt":
        return False
    return precision == "bfloat16" or (precision == "auto" and cpu_has_amx())


def cpu_has_amx() -> bool:
    """AMX tiles, as PyTorch's own CPU feature check sees them (False where it cannot tell)."""
    import torch

    check = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool(check()) if check is not None else False


@contextlib.contextmanager
def inference_in(bfloat16: bool) -> Iterator[None]:
    """Autocast to bfloat16 for the inference inside, or nothing. Autocast is per thread, so it
    is entered around each call rather than once for the run."""
    if not bfloat16:
        yield
        return
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16):
        yield
