"""The detect stage on real street photos (../shared/photos/lire-ferrari, credited in its
ATTRIBUTION.csv): every photo of a whole car gives a crop, with the detector's default settings
(the int8 export), and with PyTorch in float32 and in bfloat16 (`--detector-runtime pytorch`,
whose `--detector-precision auto` takes either, by the CPU)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from filtering.detect import Box, Detector, NoVehicle, framing_doubts, main_vehicle
from filtering.images import load_raw
from filtering.settings import FilterSettings
from tests.conftest import SHARED

PHOTOS = SHARED / "photos" / "lire-ferrari"
PATHS = sorted(PHOTOS.glob("*/*.jpg"))

# Photos the detector finds no car in, with why: each must stay a miss, or leave this table.
KNOWN_MISSES = {
    # a car seen from straight above, on a track: its one box fills the whole frame at
    # confidence 0.011, under --weak-vehicle-conf (and a box from edge to edge is a detail anyway)
    "other/6150526860_fd9cd2c04c_b.jpg": "no_vehicle",
}


# How the detector runs: (--detector-runtime, --detector-precision).
RUNS = {"int8": ("onnx-int8", "auto"), "float32": ("pytorch", "float32")}
RUNS["bfloat16"] = ("pytorch", "bfloat16")


@pytest.fixture(scope="module", params=list(RUNS))
def precision(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def decided(detector_weights: Path, precision: str) -> dict[str, Box | NoVehicle]:
    """Every photo's main vehicle or rejection; the detector runs once, in batches."""
    if not PATHS:
        pytest.skip(f"real photos not found at {PHOTOS}")
    runtime, number_format = RUNS[precision]
    settings = FilterSettings(
        detector=str(detector_weights),
        detector_runtime=runtime,
        detector_precision=number_format,
    )
    detector = Detector.from_weights(settings)
    decided: dict[str, Box | NoVehicle] = {}
    for start in range(0, len(PATHS), settings.batch):
        raws = [
            load_raw(path, settings.max_pixels) for path in PATHS[start : start + settings.batch]
        ]
        for raw, boxes in zip(raws, detector([raw.image for raw in raws]), strict=True):
            name = raw.path.relative_to(PHOTOS).as_posix()
            try:
                decided[name] = main_vehicle(boxes, raw.image.size, settings)
            except NoVehicle as none:
                decided[name] = none
    return decided


@pytest.mark.parametrize("name", [p.relative_to(PHOTOS).as_posix() for p in PATHS])
def test_every_photo_of_a_car_gives_a_crop(name: str, decided: dict[str, Box | NoVehicle]) -> None:
    outcome = decided[name]
    if name in KNOWN_MISSES:
        assert isinstance(outcome, NoVehicle) and outcome.reason == KNOWN_MISSES[name]
    else:
        assert isinstance(outcome, Box), f"{name}: rejected as {outcome}"


def test_the_photos_are_all_there() -> None:
    """The table above names real files; a renamed photo must not pass unseen."""
    if not PATHS:
        pytest.skip(f"real photos not found at {PHOTOS}")
    assert all((PHOTOS / name).is_file() for name in KNOWN_MISSES)
    assert len(PATHS) == 100


def test_a_weak_box_keeps_only_the_car_from_above_and_never_for_clean(
    decided: dict[str, Box | NoVehicle], precision: str
) -> None:
    """No box of the car seen from above reaches --detector-conf; its weak box gives the crop,
    doubted, so a person sees it in questionable. Every other crop stands on a sure box."""
    settings = FilterSettings()
    weak = {
        n: o for n, o in decided.items() if isinstance(o, Box) and o.conf < settings.detector_conf
    }
    # In float32 its best box has 0.21; bfloat16 rounds it up to 0.26 and int8 to 0.28 (at 640
    # px it is 0.84), a sure box, so the crop does without the doubt there.
    expected = [] if precision != "float32" else ["other/6822615599_18d9915317_b.jpg"]
    assert sorted(weak) == expected
    for name, box in weak.items():
        with Image.open(PHOTOS / name) as photo:
            assert "weak_vehicle" in framing_doubts(box, photo.size, settings)
