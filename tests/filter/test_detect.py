"""Stage 2 with the real detectors: the float `.pt` and the int8 ONNX Runtime model."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from filtering.detect import Box, Detector, NoVehicle, crop, main_vehicle
from filtering.settings import FilterSettings
from filtering.weights import WeightsError
from tests.filter.scenes import bus_scene, empty_scene

SETTINGS = FilterSettings()


@pytest.fixture(scope="module", params=["pt", "onnx"])
def detector(
    request: pytest.FixtureRequest, detector_weights: Path, onnx_detector_weights: Path
) -> Detector:
    weights = detector_weights if request.param == "pt" else onnx_detector_weights
    return Detector.from_weights(FilterSettings(detector=str(weights)))


def test_the_bus_is_found_and_cropped_whole(detector: Detector, bus_photo: Path) -> None:
    scene = bus_scene(bus_photo)
    [boxes] = detector([scene])
    box = main_vehicle(boxes, scene.size, SETTINGS)
    assert box.cls in ("bus", "car", "truck")
    assert box.conf > 0.6
    # The bus was pasted at x 245..1055, y 10..1090 of the canvas; its body spans most of that.
    assert 230 < box.x1 < 300 and 1000 < box.x2 < 1070
    cropped = crop(scene, box, SETTINGS.crop_margin)
    assert cropped.width > box.x2 - box.x1 and cropped.height > box.y2 - box.y1


def test_a_batch_gives_one_answer_per_image_in_order(detector: Detector, bus_photo: Path) -> None:
    scene = bus_scene(bus_photo)
    found = detector([empty_scene(1), scene, empty_scene(2)])
    assert [bool(boxes) for boxes in found] == [False, True, False]


def test_people_only_is_no_vehicle(detector: Detector, bus_photo: Path) -> None:
    people = Image.open(bus_photo.parent / "zidane.jpg").convert("RGB")
    [boxes] = detector([people])
    with pytest.raises(NoVehicle) as none:
        main_vehicle(boxes, people.size, SETTINGS)
    assert none.value.reason == "no_vehicle"


def test_the_original_photo_is_cut_off_by_the_frame(detector: Detector, bus_photo: Path) -> None:
    photo = Image.open(bus_photo).convert("RGB")
    [boxes] = detector([photo])
    with pytest.raises(NoVehicle) as cut:
        main_vehicle(boxes, photo.size, SETTINGS)
    assert cut.value.reason == "vehicle_cut_off"
    assert cut.value.box is not None


def test_a_small_vehicle_in_a_large_photo_is_too_small(detector: Detector, bus_photo: Path) -> None:
    photo = Image.new("RGB", (2000, 1600), (100, 100, 100))
    photo.paste(Image.open(bus_photo).resize((300, 400)), (800, 600))
    [boxes] = detector([photo])
    with pytest.raises(NoVehicle) as small:
        main_vehicle(boxes, photo.size, SETTINGS)
    assert small.value.reason == "vehicle_too_small"


def _box(x1: float, x2: float, y1: float = 100, y2: float = 500, conf: float = 0.9) -> Box:
    return Box(x1, y1, x2, y2, conf, "car")


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        ([], "no_vehicle"),
        ([_box(400, 500)], "vehicle_too_small"),  # 100x400 of 1000x800: 5 %
        ([_box(5, 600)], "vehicle_cut_off"),  # within 2 % of the left edge
        ([_box(300, 995)], "vehicle_cut_off"),
        ([_box(100, 400, conf=0.99), _box(300, 900, conf=0.4)], _box(300, 900, conf=0.4)),
    ],
)
def test_main_vehicle_rules(boxes: list[Box], expected: str | Box) -> None:
    if isinstance(expected, Box):
        assert main_vehicle(boxes, (1000, 800), SETTINGS) == expected
        return
    with pytest.raises(NoVehicle) as none:
        main_vehicle(boxes, (1000, 800), SETTINGS)
    assert none.value.reason == expected


def test_the_crop_margin_stays_inside_the_photo() -> None:
    image = Image.new("RGB", (1000, 800))
    assert crop(image, _box(100, 900, 0, 800), 0.1).size == (960, 800)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ("missing/yolov8n.pt", "detector weights not found: missing/yolov8n.pt"),
        ("my-detector.pt", "detector weights not found: my-detector.pt"),
    ],
)
def test_missing_weights_are_named(weights: str, message: str) -> None:
    with pytest.raises(WeightsError, match=message):
        Detector.from_weights(FilterSettings(detector=weights))


def test_unreadable_weights_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match=r"broken\.pt cannot be loaded"):
        Detector.from_weights(FilterSettings(detector=str(broken)))


def test_boxes_do_not_depend_on_the_rest_of_the_batch(detector: Detector, bus_photo: Path) -> None:
    scene = bus_scene(bus_photo)
    [alone] = detector([scene])
    mixed = detector([empty_scene(4, (640, 640)), scene, scene.resize((650, 550))])
    assert mixed[1] == alone
