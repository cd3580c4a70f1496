"""Stage 2: find the main vehicle of each photo with a YOLO detector and crop it.

COCO's car, bus and truck count alike: close, square-on front shots of cars are often labelled
truck or bus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image

from filtering.classes import VEHICLE_CLASSES
from filtering.settings import FilterSettings
from filtering.weights import load_yolo, use_threads


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


class Detector:
    """A YOLO detector loaded once, asked in batches, returning vehicle boxes only."""

    def __init__(self, model: object, settings: FilterSettings) -> None:
        self.model = model
        self.settings = settings

    @classmethod
    def from_weights(cls, settings: FilterSettings) -> Detector:
        return cls(load_yolo(settings.detector, "detect", "detector"), settings)

    def __call__(self, images: Sequence[Image.Image]) -> list[list[Box]]:
        """Boxes per image. Images are asked in groups of one size: Ultralytics pads a batch of
        mixed sizes to a square, which moves the boxes, so an image's boxes would depend on which
        others shared its batch (and a resumed run would decide differently)."""
        found: dict[int, list[Box]] = {}
        for indices in _same_size(images).values():
            use_threads(self.settings.threads)
            results = self.model.predict(
                [images[i] for i in indices],
                classes=list(VEHICLE_CLASSES),
                conf=self.settings.detector_conf,
                imgsz=self.settings.detector_imgsz,
                device=self.settings.device,
                verbose=False,
            )
            found.update(zip(indices, map(_boxes, results), strict=True))
        return [found[i] for i in range(len(images))]


def _same_size(images: Sequence[Image.Image]) -> dict[tuple[int, int], list[int]]:
    groups: dict[tuple[int, int], list[int]] = {}
    for index, image in enumerate(images):
        groups.setdefault(image.size, []).append(index)
    return groups


def _boxes(result: object) -> list[Box]:
    boxes = result.boxes
    return [
        Box(*xyxy, conf=conf, cls=VEHICLE_CLASSES.get(int(cls), str(int(cls))))
        for xyxy, conf, cls in zip(
            boxes.xyxy.tolist(), boxes.conf.tolist(), boxes.cls.tolist(), strict=True
        )
    ]


def main_vehicle(boxes: Sequence[Box], size: tuple[int, int], settings: FilterSettings) -> Box:
    """The largest box, or a `NoVehicle` naming why the photo has no usable one."""
    if not boxes:
        raise NoVehicle("no_vehicle")
    box = max(boxes, key=lambda b: b.area)
    width, height = size
    if box.area < settings.min_box_area * width * height:
        raise NoVehicle("vehicle_too_small", box)
    edge = settings.edge_margin * width
    if box.x1 <= edge or box.x2 >= width - edge:
        raise NoVehicle("vehicle_cut_off", box)
    return box


def framing_doubts(box: Box, size: tuple[int, int], settings: FilterSettings) -> tuple[str, ...]:
    """Reasons a kept box is not a sure straight view of a whole car (e.g. the frame cuts it):
    such a crop may still be a front, but goes to questionable rather than clean."""
    return ()


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
