"""The filtering's settings: one frozen object built once from the command line.

Every setting is declared here once, with its default, its range and its help; `filtering/run.py`
builds its command-line options from these declarations, the summary and the report name the
option that governs each rejection from them, and README.md lists them.

To add a threshold (say `min_sharpness` for a stage of yours):
1. Declare it as a field of `FilterSettings` with `number`:
       min_sharpness: float = number(40.0, 0, math.inf, "crops less sharp than this are ...")
   The kind (int or float) is the default's; `low` and `high` bound what the option accepts.
   A comment above it says why the default is what it is.
2. Read it in the stage as `settings.min_sharpness`, and name it in the stage's `reasons`
   (`{"too_blurred": ("min_sharpness",)}`) so that the report shows it next to that reason.
3. The option `--min-sharpness` now exists, checked against its range; add its line to README's
   table of filtering options.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filtering.classes import DEFAULT_CLASSIFIER
from filtering.precision import PRECISIONS

# How a `.pt` detector can run on the CPU (filtering/detector_export.py).
INT8 = "onnx-int8"
ONNX_RUNTIMES = ("onnx", INT8)
RUNTIMES = (*ONNX_RUNTIMES, "pytorch")
# What Ultralytics downloads by itself on a user's machine; any local path works too.
DEFAULT_DETECTOR = "yolov8n.pt"
LABELS_FOLDER = "labels"  # <data>/labels/<model>: the labelled crops, by class


def user_cache() -> Path:
    """Where files that any run can make again are kept for every run of this user, whatever
    folder it starts in: `$XDG_CACHE_HOME/scars`, else `~/.cache/scars`."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "scars"


def number(default: float | None, low: float, high: float, help: str, multiple_of: int = 1) -> Any:
    """A numeric setting: its default, the range an option accepts, and what it does. An int
    default makes an int setting; a float or None (decided later) a float one. An int setting
    can be held to multiples of a number."""
    kind = int if isinstance(default, int) else float
    meta = {"kind": kind, "low": low, "high": high, "help": help, "multiple_of": multiple_of}
    return dataclasses.field(default=default, metadata=meta)


def text(default: object, help: str, choices: tuple[str, ...] = ()) -> Any:
    """A setting taken as given, of the default's type (a path, a name), or one of `choices`."""
    meta = {"kind": type(default), "help": help, "choices": choices}
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class FilterSettings:
    data: Path = text(Path("data"), "holds raw/, crops/, final/")
    detector: str = text(DEFAULT_DETECTOR, "YOLO detector weights, .pt or .onnx")
    classifier: Path = text(DEFAULT_CLASSIFIER, "YOLO front-facing classifier weights")
    device: str = text("cpu", "cpu, or a GPU: 0, cuda:0, mps")
    # onnx-int8: on the CPU a `.pt` detector runs as an ONNX export of itself quantised to int8,
    # made once per weights file and input size: on 2 cores it keeps every crop of the float
    # detector on the real photos and takes the whole run to half of 640 px PyTorch's time
    # (figures in README). onnx: the float export; pytorch: the weights as given.
    detector_runtime: str = text(
        INT8, "CPU runtime of a .pt detector: onnx-int8, onnx or pytorch", choices=RUNTIMES
    )
    # auto: bfloat16 where the CPU computes it in hardware (AMX), float32 elsewhere; see
    # filtering/precision.py. A GPU and an exported detector run as their runtime does.
    detector_precision: str = text(
        "auto",
        "number format of a PyTorch detector on the CPU: auto, float32 or bfloat16",
        choices=PRECISIONS,
    )
    # A user cache, not a project folder: an export serves every run of the same weights.
    export_cache: Path = text(
        user_cache() / "exports", "where the ONNX exports of .pt detectors are kept"
    )
    batch: int = number(8, 1, math.inf, "images per inference call")
    # Threads decoding and encoding images next to inference.
    workers: int = number(2, 1, math.inf, "decoding/encoding threads")
    # Ultralytics otherwise runs PyTorch on one thread, which leaves the other cores idle while
    # the detector works.
    threads: int = number(0, 0, math.inf, "inference threads (0: one per core)")
    # The detector's own threshold: COCO boxes under 0.25 are mostly wrong on marketplace photos.
    detector_conf: float = number(0.25, 0, 1, "detector confidence threshold")
    # A photo with no box at --detector-conf still gives its largest weak box of at least this
    # confidence, if it is large (--doubt-box-area), to questionable only (doubt `weak_vehicle`):
    # cars seen from above and close fronts filling the photo are found at 0.19 to 0.24.
    weak_vehicle_conf: float = number(
        0.15,
        0,
        1,
        "a large box this confident, when none reaches --detector-conf, goes to "
        "questionable (0: off)",
    )
    # Chosen by benchmarks/filtering.py: close fronts that fill the photo are found at 416 and
    # missed at 640, in under half the time.
    # A multiple of the network's largest stride: Ultralytics would round any other size up.
    detector_imgsz: int = number(416, 32, math.inf, "detector input size", multiple_of=32)
    # The car must cover this share of the photo: smaller ones are cars in the background. On
    # the real street photos the smallest main car of a whole-car photo covers 0.059.
    min_box_area: float = number(0.05, 0, 1, "smallest vehicle box, as a share of the photo's area")
    # A kept car smaller than this share of the photo goes to questionable (doubt `small_vehicle`).
    doubt_box_area: float = number(
        0.10, 0, 1, "a kept vehicle box under this share of the photo goes to questionable"
    )
    # A box this close to an edge (share of the width or height) touches the frame.
    edge_margin: float = number(
        0.01, 0, 0.5, "a box this close to an edge (share of the width/height) touches the frame"
    )
    # Context kept around the box (share of its width and height): the classifier and a person
    # both judge the view better with a little of the surroundings.
    crop_margin: float = number(0.05, 0, 1, "context kept around the box")
    classifier_imgsz: int = number(
        0, 0, math.inf, "classifier input size (0: the size it was trained at)"
    )
    # None: the classifier's own threshold (see classify.clean_threshold). A less confident
    # `front` goes to questionable.
    front_conf: float | None = number(None, 0, 1, "front at least this confident goes to clean")
    # None: the classifier's own threshold (see classify.reject_threshold), set in training just
    # above every held-back front view's `other`. A crop predicted front_angled whose `other`
    # reaches it is rejected: questionable holds fewer rears.
    other_conf: float | None = number(
        None, 0, 1, "an angled front whose other is at least this is rejected (1: off)"
    )
    # Perceptual hashes at most this many bits apart (of 64) are the same picture; crops make
    # this robust to resizing, re-encoding and slight crops of the original photo. -1: off.
    near_duplicate_distance: int = number(
        6, -1, 32, "max pHash distance (bits of 64) of near-duplicates (-1: off)"
    )
    # The quality stage (filtering/quality.py): a crop meant for clean below or above these goes
    # to questionable. Measured on real crops and on blurred and re-exposed copies of them
    # (benchmarks/crop_quality.py, figures in README).
    min_sharpness: float = number(
        100.0, 0, math.inf, "second-difference variance under which a crop is blurred (0: off)"
    )
    min_brightness: float = number(
        40.0, 0, 255, "mean grey level under which a crop is too dark (0: off)"
    )
    max_highlights: float = number(
        0.25, 0, 1, "share of burnt-out pixels over which a crop is too bright (1: off)"
    )
    min_detail: float = number(
        25.0, 0, 255, "grey-level deviation under which a crop has too little detail (0: off)"
    )
    # Larger pictures are rejected before decoding: a 1280x960 listing photo is 1.2 MP.
    max_pixels: int = number(50_000_000, 1, math.inf, "larger images are rejected")
    jpeg_quality: int = number(95, 1, 100, "quality of written crops")

    def raw(self, model: str) -> Path:
        return self.data / "raw" / model

    def crops(self, model: str) -> Path:
        return self.data / "crops" / model

    def final(self, model: str) -> Path:
        return self.data / "final" / model

    def labels(self, model: str) -> Path:
        """Where README's layout keeps the model's labelled crops, `<data>/labels/<model>`."""
        return self.data / LABELS_FOLDER / model


# What the help and the report say of a default that is decided later.
DEFAULT_SHOWN = {
    "front_conf": "the classifier's own threshold, else 0.80",
    "other_conf": "the classifier's own threshold, else none",
}


def option(name: str) -> str:
    """The command-line option of a setting: `min_box_area` -> `--min-box-area`."""
    return "--" + name.replace("_", "-")


def declared() -> list[dataclasses.Field[Any]]:
    """Every setting, in declaration order, with its metadata."""
    return list(dataclasses.fields(FilterSettings))
