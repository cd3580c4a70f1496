"""Stage 2: find the main vehicle of each photo with a YOLO detector and crop it.

COCO's car, bus and truck count alike: close, square-on front shots of cars are often labelled
truck or bus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Protocol

from PIL import Image

from filtering.classes import VEHICLE_CLASSES
from filtering.detector_export import load_detector, runs_as_onnx, without_spinning
from filtering.precision import inference_in, uses_bfloat16
from filtering.settings import INT8, FilterSettings
from filtering.weights import first_run, use_threads


@dataclass(frozen=True)
class Box:
    x1: float
    y1: float
    x2: float
    y2: float
    conf: float
    cls: str

    @property
    def area(self) -> float:
        return max(0.0, self.x2 - self.x1) * max(0.0, self.y2 - self.y1)

    def as_list(self) -> list[float]:
        return [round(v, 1) for v in (self.x1, self.y1, self.x2, self.y2)]


# A detector takes a batch of RGB images and returns the vehicle boxes found in each.
Detect = Callable[[Sequence[Image.Image]], list[list[Box]]]


class Predictor(Protocol):
    """What the detector needs of an Ultralytics YOLO model (or of a test's stand-in)."""

    def predict(self, source: list[Image.Image], **options: Any) -> list[Any]: ...


class Detector:
    """A YOLO detector loaded once, asked in batches, returning vehicle boxes only."""

    def __init__(self, model: Predictor, settings: FilterSettings, bfloat16: bool = False) -> None:
        self.model = model
        self.settings = settings
        self.bfloat16 = bfloat16  # autocast around each prediction (filtering/precision.py)

    @classmethod
    def from_weights(cls, settings: FilterSettings) -> Detector:
        model = load_detector(settings)
        bfloat16 = uses_bfloat16(settings.detector_precision, settings.device, settings.detector)
        detector = cls(model, settings, bfloat16 and not runs_as_onnx(settings))
        first_run(settings.detector, "detector", lambda: detector([Image.new("RGB", (64, 48))]))
        without_spinning(model)
        return detector

    def input_size(self) -> int:
        """The size the detector really runs at: `--detector-imgsz`, unless an export fixed its
        own (Ultralytics then takes the export's, which it knows once it has predicted)."""
        size = getattr(getattr(self.model, "predictor", None), "imgsz", None)
        if isinstance(size, list | tuple) and size:
            return int(max(size))
        return self.settings.detector_imgsz

    def describe(self) -> str:
        """The input size and how the detector runs, for the run's first lines."""
        suffix = PurePath(self.settings.detector).suffix
        if runs_as_onnx(self.settings) and self.settings.detector_runtime == INT8:
            how = "ONNX Runtime in int8"
        elif runs_as_onnx(self.settings) or suffix == ".onnx":
            how = "ONNX Runtime"
        elif suffix != ".pt":
            how = "the runtime of its export"
        elif self.bfloat16:
            how = "PyTorch in bfloat16"
        elif self.settings.device.strip().lower() == "cpu":
            how = "PyTorch in float32"
        else:
            how = f"PyTorch on {self.settings.device}"
        if self.settings.detector_precision == "bfloat16" and not self.bfloat16:
            how += " (--detector-precision bfloat16 applies to PyTorch on the CPU only"
            how += ": with --detector-runtime pytorch)" if runs_as_onnx(self.settings) else ")"
        size, asked = self.input_size(), self.settings.detector_imgsz
        if size != asked:
            return (
                f"{size} px (fixed by the export: --detector-imgsz {asked} does not apply), {how}"
            )
        return f"{size} px, {how}"

    def __call__(self, images: Sequence[Image.Image]) -> list[list[Box]]:
        """Boxes per image. Images are asked in groups of one size: Ultralytics pads a batch of
        mixed sizes to a square, which moves the boxes, so an image's boxes would depend on which
        others shared its batch (and a resumed run would decide differently)."""
        found: dict[int, list[Box]] = {}
        for indices in _same_size(images).values():
            use_threads(self.settings.threads)
            with inference_in(self.bfloat16):
                results = self.model.predict(
                    [images[i] for i in indices],
                    classes=list(VEHICLE_CLASSES),
                    conf=lowest_conf(self.settings),
                    imgsz=self.settings.detector_imgsz,
                    device=self.settings.device,
                    verbose=False,
                )
            found.update(zip(indices, map(_boxes, results), strict=True))
        return [found[i] for i in range(len(images))]


def lowest_conf(settings: FilterSettings) -> float:
    """The least confident box `main_vehicle` may use: a weak box stands in when no box is sure."""
    weak = settings.weak_vehicle_conf
    return min(settings.detector_conf, weak) if weak > 0 else settings.detector_conf


def _same_size(images: Sequence[Image.Image]) -> dict[tuple[int, int], list[int]]:
    groups: dict[tuple[int, int], list[int]] = {}
    for index, image in enumerate(images):
        groups.setdefault(image.size, []).append(index)
    return groups


def _boxes(result: Any) -> list[Box]:
    """Boxes of one Ultralytics `Results` (its tensors are read as plain lists)."""
    boxes = result.boxes
    return [
        Box(x1, y1, x2, y2, conf=conf, cls=VEHICLE_CLASSES.get(int(cls), str(int(cls))))
        for (x1, y1, x2, y2), conf, cls in zip(
            boxes.xyxy.tolist(), boxes.conf.tolist(), boxes.cls.tolist(), strict=True
        )
    ]


# A box that touches a left or right edge counts half in the choice of the main vehicle: a car
# cut by the frame beside the subject (a parked car, a bus behind) is rarely what was photographed.
_CUT_SIDE_WEIGHT = 0.5


def main_vehicle(boxes: Sequence[Box], size: tuple[int, int], settings: FilterSettings) -> Box:
    """The photo's main vehicle, or a `NoVehicle` naming why it has none that shows a car view.

    The main one is the largest of the boxes at `detector_conf`, a box cut by a left or right
    edge counting half. It is rejected only when it is no car view: too small (a car in the
    background) or a detail (the box runs through the top edge to the bottom or to both sides:
    no car's roof reaches the top of a photo of the whole car). A car merely touching the frame
    is kept; `framing_doubts` says why it may not be a sure view. When no box is that sure, the
    largest weak box (at `weak_vehicle_conf`) stands in if it covers `doubt_box_area` of the
    photo: an unusual view the detector half recognises (from above, a front filling the photo)
    is for a person to judge; a small weak box is no car found.
    """
    sure = [b for b in boxes if b.conf >= settings.detector_conf]
    weak = [b for b in boxes if _is_weak(b, settings)]
    if not sure and not weak:
        raise NoVehicle("no_vehicle")
    width, height = size
    box = max(sure or weak, key=lambda b: _weight(b, size, settings.edge_margin))
    if not sure and box.area < settings.doubt_box_area * width * height:
        raise NoVehicle("no_vehicle", box)
    if box.area < settings.min_box_area * width * height:
        raise NoVehicle("vehicle_too_small", box)
    if _is_detail(touched_sides(box, size, settings.edge_margin)):
        raise NoVehicle("vehicle_cut_off", box)
    return box


def framing_doubts(box: Box, size: tuple[int, int], settings: FilterSettings) -> tuple[str, ...]:
    """Reasons a kept box is not a sure straight view of a whole car: such a crop may still be a
    front, but goes to questionable rather than clean. A box touching the bottom edge is no
    doubt (the wheels or the bumper reach it; the view is whole); one touching a side may have
    lost the front, so a person should look; so should a box the detector is unsure of."""
    width, height = size
    doubts = [f"cut_{side}" for side in touched_sides(box, size, settings.edge_margin)]
    doubts = [doubt for doubt in doubts if doubt != "cut_bottom"]
    if box.area < settings.doubt_box_area * width * height:
        doubts.append("small_vehicle")
    if box.conf < settings.detector_conf:
        doubts.append("weak_vehicle")  # the detector is not sure it is a car
    return tuple(doubts)


def _is_weak(box: Box, settings: FilterSettings) -> bool:
    weak = settings.weak_vehicle_conf
    return 0 < weak <= box.conf < settings.detector_conf


def touched_sides(box: Box, size: tuple[int, int], margin: float) -> tuple[str, ...]:
    """The frame's sides the box reaches within `margin` (a share of the width or height)."""
    width, height = size
    reached = (
        ("left", box.x1 <= margin * width),
        ("right", box.x2 >= width - margin * width),
        ("top", box.y1 <= margin * height),
        ("bottom", box.y2 >= height - margin * height),
    )
    return tuple(side for side, touches in reached if touches)


def _is_detail(sides: tuple[str, ...]) -> bool:
    """A box through the top edge and the bottom, or the top and both sides: a part of a car
    (or an interior) filling the photo, not a view of the car."""
    if "top" not in sides:
        return False
    return "bottom" in sides or ("left" in sides and "right" in sides)


def _weight(box: Box, size: tuple[int, int], margin: float) -> float:
    sides = touched_sides(box, size, margin)
    cut = ("left" in sides) + ("right" in sides)
    return box.area * _CUT_SIDE_WEIGHT**cut


class NoVehicle(Exception):
    def __init__(self, reason: str, box: Box | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.box = box


def crop(image: Image.Image, box: Box, margin: float) -> Image.Image:
    """The box with `margin` of its size added on each side, kept inside the photo."""
    dx = (box.x2 - box.x1) * margin
    dy = (box.y2 - box.y1) * margin
    left = max(0, round(box.x1 - dx))
    top = max(0, round(box.y1 - dy))
    right = min(image.width, round(box.x2 + dx))
    bottom = min(image.height, round(box.y2 + dy))
    return image.crop((left, top, right, bottom))
