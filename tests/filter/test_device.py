"""`--device` is checked against what PyTorch sees here before any model is loaded."""

from __future__ import annotations

import pytest
import torch

from filtering.device import DeviceError, check_device

GPUS = torch.cuda.device_count() if torch.cuda.is_available() else 0


@pytest.mark.parametrize("device", ["cpu", "CPU", " cpu "])
def test_the_cpu_is_always_there(device: str) -> None:
    check_device(device)


@pytest.mark.parametrize("device", ["0", "cuda", "cuda:0", "0,1", "cuda:3"])
def test_a_gpu_is_there_or_named_as_missing(device: str) -> None:
    wanted = max(int(i) for i in (device.split(":")[-1] if device != "cuda" else "0").split(","))
    if wanted < GPUS:
        check_device(device)
        return
    with pytest.raises(DeviceError, match="PyTorch sees") as info:
        check_device(device)
    assert repr(device) in str(info.value) and "use --device cpu" in str(info.value)


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "tpu", "-1", ""])
def test_a_name_that_is_no_device_is_named(device: str) -> None:
    with pytest.raises(DeviceError, match="use cpu, mps, or a CUDA GPU"):
        check_device(device)
