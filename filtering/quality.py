"""The quality stage: blurred, too dark, too bright or very flat crops are doubted, never rejected.

Each crop is measured on its grey levels, shrunk to `SIDE` pixels on its longer side so that the
figures do not depend on the photo's resolution:
- sharpness: the variance of the second differences (a Laplacian taken one direction at a time,
  the smaller of the two). Focus and motion blur remove the fine edges it responds to.
- exposure: the mean grey level (0 to 255) for dark crops, the share of burnt-out pixels (grey
  level 250 or more) for bright ones.
- detail: the standard deviation of the grey levels; a fogged, washed-out or blank crop has little.

A crop meant for clean that fails one of them goes to questionable with the reason (`blurred`,
`too_dark`, `too_bright`, `low_detail`) shown in its record, the report and the review tool: a
person decides. The thresholds were measured on real photos and on blurred and re-exposed copies
of them (`benchmarks/crop_quality.py`; figures in README).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from PIL import Image

from filtering.batch import Batch, BatchStage, Reasons, RunContext, demote
from filtering.settings import FilterSettings

SIDE = 256  # pixels on the longer side of the grey copy that is measured
CLIPPED = 250  # grey levels this high are burnt-out highlights


@dataclass(frozen=True)
class Measures:
    sharpness: float
    brightness: float
    highlights: float
    detail: float


def measure(image: Image.Image) -> Measures:
    grey = image.convert("L")
    grey.thumbnail((SIDE, SIDE))
    pixels = np.asarray(grey, dtype=np.float32)
    return Measures(
        sharpness=_sharpness(pixels),
        brightness=float(pixels.mean()),
        highlights=float((pixels >= CLIPPED).mean()),
        detail=float(pixels.std()),
    )


def _sharpness(pixels: np.ndarray) -> float:
    """The smaller of the second differences' variances across and down: a motion blur smears
    one direction only, which a plain Laplacian half misses."""
    if min(pixels.shape) < 3:
        return 0.0
    across = pixels[:, :-2] + pixels[:, 2:] - 2 * pixels[:, 1:-1]
    down = pixels[:-2, :] + pixels[2:, :] - 2 * pixels[1:-1, :]
    return float(min(across.var(), down.var()))


def doubts(found: Measures, settings: FilterSettings) -> list[str]:
    """The reasons a crop with these measures is not a sure clean picture."""
    reasons = []
    if found.sharpness < settings.min_sharpness:
        reasons.append("blurred")
    if found.brightness < settings.min_brightness:
        reasons.append("too_dark")
    if found.highlights > settings.max_highlights:
        reasons.append("too_bright")
    if found.detail < settings.min_detail:
        reasons.append("low_detail")
    return reasons


class Quality(BatchStage):
    """Measures every crop still in the batch (in the worker threads) and demotes on doubt."""

    name = "quality"
    reasons: ClassVar[Reasons] = {
        "blurred": ("min_sharpness",),
        "too_dark": ("min_brightness",),
        "too_bright": ("max_highlights",),
        "low_detail": ("min_detail",),
    }
    fields: ClassVar[tuple[str, ...]] = ("quality", "doubts")

    def __init__(self, run: RunContext) -> None:
        self.settings = run.settings
        self.pool = run.pool

    def __call__(self, batch: Batch) -> None:
        ids = list(batch.crops)
        for image_id, found in zip(ids, self.pool.map(measure, batch.crops.values()), strict=True):
            record = batch.records[image_id]
            record["quality"] = {k: round(v, 3) for k, v in vars(found).items()}
            for reason in doubts(found, self.settings):
                demote(record, reason)
