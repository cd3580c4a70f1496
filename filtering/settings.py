"""The filtering's settings: one frozen object built once from the command line.

Every threshold lives here with its default and the reason for it; README.md lists them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from filtering.classes import DEFAULT_CLASSIFIER

# What Ultralytics downloads by itself on a user's machine; any local path works too.
DEFAULT_DETECTOR = "yolov8n.pt"


@dataclass(frozen=True)
class FilterSettings:
    data: Path = Path("data")  # holds raw/, crops/, final/
    detector: str = DEFAULT_DETECTOR
    classifier: Path = DEFAULT_CLASSIFIER
    device: str = "cpu"
    batch: int = 8  # images per inference call
    workers: int = 2  # threads decoding and encoding images next to inference
    # CPU threads for inference; 0: one per core. (Ultralytics otherwise runs PyTorch on one
    # thread, which leaves the other cores idle while the detector works.)
    threads: int = 0
    # The detector's own threshold: COCO boxes under 0.25 are mostly wrong on marketplace photos.
    detector_conf: float = 0.25
    detector_imgsz: int = 640
    # The car must cover this share of the photo: smaller ones are background cars or details.
    min_box_area: float = 0.10
    # A box this close to the left or right edge (share of the width) is a car cut off by the frame.
    edge_margin: float = 0.02
    # Context kept around the box (share of its width and height): the classifier and a person
    # both judge the view better with a little of the surroundings.
    crop_margin: float = 0.05
    # 0: the size the classifier was trained at, as its weights record it.
    classifier_imgsz: int = 0
    # `front` at least this confident goes to clean; less confident fronts to questionable.
    front_conf: float = 0.80
    # Perceptual hashes at most this many bits apart (of 64) are the same picture; crops make
    # this robust to resizing, re-encoding and slight crops of the original photo. -1: off.
    near_duplicate_distance: int = 6
    # Larger pictures are rejected before decoding: a 1280x960 listing photo is 1.2 MP.
    max_pixels: int = 50_000_000
    jpeg_quality: int = 95

    def raw(self, model: str) -> Path:
        return self.data / "raw" / model

    def crops(self, model: str) -> Path:
        return self.data / "crops" / model

    def final(self, model: str) -> Path:
        return self.data / "final" / model
