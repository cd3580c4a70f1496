"""The detector's CPU runtime: a `.pt` detector exported once to ONNX, cached by content and size,
and quantised to int8 once, or run by PyTorch in bfloat16, each deciding as PyTorch in float32
does on the real photos of front views."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from filtering.detect import Box, Detector, NoVehicle, main_vehicle
from filtering.detector_export import export_name, load_detector, onnx_export, runs_as_onnx
from filtering.files import partial_path
from filtering.images import load_raw
from filtering.quantize import int8_export
from filtering.settings import FilterSettings
from filtering.weights import WeightsError
from tests.conftest import SHARED

PHOTOS = SHARED / "photos" / "lire-ferrari"


@pytest.mark.parametrize(
    ("device", "detector", "runtime", "expected"),
    [
        ("cpu", "yolov8n.pt", "onnx", True),
        ("CPU", "weights/best.pt", "onnx", True),
        ("0", "yolov8n.pt", "onnx", False),  # a GPU keeps PyTorch
        ("cuda:0", "yolov8n.pt", "onnx", False),
        ("cpu", "yolov8n.pt", "pytorch", False),
        ("cpu", "yolov8n.onnx", "onnx", False),  # an export is used as given
        ("cpu", "yolov8n.pt", "onnx-int8", True),
        ("0", "yolov8n.pt", "onnx-int8", False),
        ("cpu", "yolov8n.onnx", "onnx-int8", False),
    ],
)
def test_which_detectors_run_as_onnx(
    device: str, detector: str, runtime: str, expected: bool
) -> None:
    settings = FilterSettings(device=device, detector=detector, detector_runtime=runtime)
    assert runs_as_onnx(settings) is expected


def test_an_unknown_runtime_is_named(detector_weights: Path) -> None:
    settings = FilterSettings(detector=str(detector_weights), detector_runtime="tensorrt")
    with pytest.raises(WeightsError, match="'tensorrt'"):
        load_detector(settings)


def test_the_export_is_made_once_in_the_cache_and_never_beside_the_weights(
    tmp_path: Path, detector_weights: Path
) -> None:
    weights = tmp_path / "mine" / "yolov8n.pt"
    weights.parent.mkdir()
    shutil.copyfile(detector_weights, weights)
    cache = tmp_path / "cache"
    made = onnx_export(weights, 320, cache)
    assert made == cache / export_name(weights, 320)
    assert made.name.startswith("yolov8n-") and made.name.endswith("-320.onnx")
    assert sorted(p.name for p in cache.iterdir()) == [made.name]  # no partial or folder left
    assert sorted(p.name for p in weights.parent.iterdir()) == ["yolov8n.pt"]
    stamp = made.stat().st_mtime_ns
    assert onnx_export(weights, 320, cache).stat().st_mtime_ns == stamp  # reused, not redone
    assert onnx_export(weights, 416, cache) != made  # another size, another export


def test_other_weights_under_the_same_name_get_their_own_export(
    tmp_path: Path, detector_weights: Path
) -> None:
    weights = tmp_path / "yolov8n.pt"
    shutil.copyfile(detector_weights, weights)
    first = export_name(weights, 416)
    with weights.open("ab") as file:
        file.write(b"\0")
    assert export_name(weights, 416) != first


def test_the_int8_copy_is_made_once_beside_the_float_export_and_detects(
    tmp_path: Path, detector_weights: Path, bus_photo: Path
) -> None:
    settings = FilterSettings(
        detector=str(detector_weights), detector_runtime="onnx-int8", export_cache=tmp_path
    )
    float_name = export_name(detector_weights, 416)
    int8_name = float_name.replace(".onnx", "-int8.onnx")
    for name in (float_name, int8_name):  # what an export and a quantisation killed midway leave
        left = partial_path(tmp_path / name).with_name(f".{name}.partial.work")
        left.mkdir()
        (left / "prepared.onnx").write_bytes(b"half an export")
    detector = Detector.from_weights(settings)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([float_name, int8_name])
    assert detector.describe() == "416 px, ONNX Runtime in int8"
    stamp = (tmp_path / int8_name).stat().st_mtime_ns
    assert int8_export(tmp_path / float_name, 416).stat().st_mtime_ns == stamp
    boxes = detector([Image.open(bus_photo).convert("RGB")])[0]
    assert max(box.conf for box in boxes) > 0.5  # the bus


def test_the_int8_export_keeps_the_heads_output_layers_float(
    tmp_path: Path, detector_weights: Path
) -> None:
    """The output layers' inputs are float; every convolution before them is quantised."""
    import onnx

    made = int8_export(onnx_export(detector_weights, 320, tmp_path), 320)
    nodes = onnx.load(str(made)).graph.node
    dequantised = {output for n in nodes if n.op_type == "DequantizeLinear" for output in n.output}
    convs = [n for n in nodes if n.op_type == "Conv"]
    quantised = {n.name for n in convs if n.input[1] in dequantised}
    kept_float = {n.name for n in convs} - quantised
    assert kept_float == {
        *(f"/model.22/cv{k}.{level}/cv{k}.{level}.2/Conv" for k in (2, 3) for level in range(3)),
        "/model.22/dfl/conv/Conv",
    }
    assert len(quantised) > 50


# The variants compared with PyTorch in float32: (runtime, CPU precision).
VARIANTS = {"float32": ("pytorch", "float32"), "onnx": ("onnx", "float32")}
VARIANTS["bfloat16"] = ("pytorch", "bfloat16")
VARIANTS["int8"] = ("onnx-int8", "float32")


@pytest.fixture(scope="module")
def runtimes(
    detector_weights: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Box | str]]:
    # The views whose crops must not change; the other views are compared by the benchmark.
    paths = sorted(PHOTOS.glob("front*/*.jpg"))
    if not paths:
        pytest.skip(f"real photos not found at {PHOTOS}")
    cache = tmp_path_factory.mktemp("exports")
    decided: dict[str, dict[str, Box | str]] = {}
    for name, (runtime, precision) in VARIANTS.items():
        settings = FilterSettings(
            detector=str(detector_weights),
            detector_runtime=runtime,
            detector_precision=precision,
            export_cache=cache,
        )
        detector = Detector.from_weights(settings)
        assert detector.bfloat16 is (precision == "bfloat16"), name
        decided[name] = _decide(detector, paths, settings)
    assert any(cache.glob("*.onnx")), "the onnx runtime did not run on an export"
    return decided


def _decide(
    detector: Detector, paths: list[Path], settings: FilterSettings
) -> dict[str, Box | str]:
    decided: dict[str, Box | str] = {}
    for start in range(0, len(paths), settings.batch):
        raws = [load_raw(p, settings.max_pixels) for p in paths[start : start + settings.batch]]
        for raw, boxes in zip(raws, detector([raw.image for raw in raws]), strict=True):
            try:
                decided[raw.path.name] = main_vehicle(boxes, raw.image.size, settings)
            except NoVehicle as none:
                decided[raw.path.name] = none.reason
    return decided


# int8 rounds more: its boxes are held to the size and runtime choice's own bound (README).
@pytest.mark.parametrize(
    ("variant", "least_iou"), [("onnx", 0.95), ("bfloat16", 0.95), ("int8", 0.9)]
)
def test_each_runtime_decides_as_float32_pytorch_on_the_real_photos(
    runtimes: dict[str, dict[str, Box | str]], variant: str, least_iou: float
) -> None:
    reference, decided = runtimes["float32"], runtimes[variant]
    assert reference.keys() == decided.keys() and len(reference) >= 50
    for name, theirs in reference.items():
        mine = decided[name]
        if isinstance(theirs, str):
            assert mine == theirs, f"{name}: {mine} under {variant}, {theirs} under float32"
        else:
            assert isinstance(mine, Box), f"{name}: {mine} under {variant}, a crop under float32"
            # The runtimes round alike but not to the last digit: boxes move by a pixel or two.
            assert _iou(mine, theirs) >= least_iou, f"{name}: boxes {mine} and {theirs}"


def _iou(a: Box, b: Box) -> float:
    width = max(0.0, min(a.x2, b.x2) - max(a.x1, b.x1))
    height = max(0.0, min(a.y2, b.y2) - max(a.y1, b.y1))
    inter = width * height
    return inter / (a.area + b.area - inter)
