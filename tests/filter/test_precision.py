"""Which detectors run in bfloat16 (`--detector-precision`); that they decide as in float32 on
the real photos is checked in test_detector_export.py."""

from __future__ import annotations

import pytest

from filtering.detect import Detector
from filtering.precision import cpu_has_amx, uses_bfloat16
from filtering.settings import FilterSettings
from filtering.weights import WeightsError


@pytest.mark.parametrize(
    ("precision", "device", "weights", "expected"),
    [
        ("bfloat16", "cpu", "yolov8n.pt", True),
        ("bfloat16", "CPU", "models/front_classifier.pt", True),
        ("float32", "cpu", "yolov8n.pt", False),
        ("bfloat16", "0", "yolov8n.pt", False),  # a GPU runs as it always has
        ("bfloat16", "cuda:0", "yolov8n.pt", False),
        ("bfloat16", "mps", "yolov8n.pt", False),
        ("bfloat16", "cpu", "yolov8n.onnx", False),  # an export runs in its runtime's format
        ("bfloat16", "cpu", "yolov8n_openvino_model", False),
        ("auto", "0", "yolov8n.pt", False),
    ],
)
def test_which_detectors_run_in_bfloat16(
    precision: str, device: str, weights: str, expected: bool
) -> None:
    assert uses_bfloat16(precision, device, weights) is expected


def test_auto_takes_bfloat16_exactly_where_the_cpu_has_amx() -> None:
    assert uses_bfloat16("auto", "cpu", "yolov8n.pt") is cpu_has_amx()


def test_an_unknown_precision_is_named() -> None:
    with pytest.raises(WeightsError, match="--detector-precision 'half'"):
        uses_bfloat16("half", "cpu", "yolov8n.pt")


class _NoModel:
    def predict(self, source: list[object], **options: object) -> list[object]:
        return []


@pytest.mark.parametrize(
    ("detector", "runtime", "device", "bfloat16", "said"),
    [
        ("yolov8n.pt", "pytorch", "cpu", True, "416 px, PyTorch in bfloat16"),
        ("yolov8n.pt", "pytorch", "cpu", False, "416 px, PyTorch in float32"),
        ("yolov8n.pt", "onnx", "cpu", False, "416 px, ONNX Runtime"),
        ("yolov8n.pt", "onnx-int8", "cpu", False, "416 px, ONNX Runtime in int8"),
        ("yolov8n.pt", "onnx-int8", "0", False, "416 px, PyTorch on 0"),  # a GPU runs it as given
        ("yolov8n.onnx", "onnx-int8", "cpu", False, "416 px, ONNX Runtime"),  # as given too
        ("yolov8n.onnx", "pytorch", "cpu", False, "416 px, ONNX Runtime"),
        ("yolov8n_openvino_model", "pytorch", "cpu", False, "416 px, the runtime of its export"),
        ("yolov8n.pt", "pytorch", "0", False, "416 px, PyTorch on 0"),
    ],
)
def test_the_run_says_how_the_detector_runs(
    detector: str, runtime: str, device: str, bfloat16: bool, said: str
) -> None:
    settings = FilterSettings(detector=detector, detector_runtime=runtime, device=device)
    assert Detector(_NoModel(), settings, bfloat16).describe() == said


@pytest.mark.parametrize(
    ("detector", "runtime", "said"),
    [
        (
            "yolov8n.pt",
            "onnx",
            "416 px, ONNX Runtime (--detector-precision bfloat16 applies to PyTorch on the CPU "
            "only: with --detector-runtime pytorch)",
        ),
        (
            "yolov8n.pt",
            "onnx-int8",
            "416 px, ONNX Runtime in int8 (--detector-precision bfloat16 applies to PyTorch on "
            "the CPU only: with --detector-runtime pytorch)",
        ),
        (
            "yolov8n.onnx",
            "pytorch",
            "416 px, ONNX Runtime (--detector-precision bfloat16 applies to PyTorch on the CPU "
            "only)",
        ),
    ],
)
def test_bfloat16_asked_of_a_runtime_that_cannot_take_it_is_said_not_to_apply(
    detector: str, runtime: str, said: str
) -> None:
    settings = FilterSettings(
        detector=detector, detector_runtime=runtime, detector_precision="bfloat16"
    )
    assert Detector(_NoModel(), settings, False).describe() == said
