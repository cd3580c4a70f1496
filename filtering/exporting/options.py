"""What an export is asked to do: one frozen object built once from the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from filtering.records import CLEAN, QUESTIONABLE

EXPORTABLE_SETS = (CLEAN, QUESTIONABLE)  # never rejected; to_label is not reviewed yet
CROPS = "crops"
PHOTOS = "photos"
TRAIN, VAL, TEST = "train", "val", "test"  # the folder names ImageFolder and Ultralytics read


class ExportError(Exception):
    """Bad input: the message names the bad thing; nothing has been written."""


@dataclass(frozen=True)
class ExportOptions:
    model: str
    out: Path
    data: Path = Path("data")
    sets: tuple[str, ...] = (CLEAN,)
    images: str = CROPS  # crops (what the review saw) or the whole raw photos
    link: bool = False  # hard links instead of copies
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: int = 0
    replace: bool = False

    @property
    def fractions(self) -> dict[str, float]:
        train = 1.0 - self.val_fraction - self.test_fraction
        return {TRAIN: train, VAL: self.val_fraction, TEST: self.test_fraction}

    @property
    def final(self) -> Path:
        return self.data / "final" / self.model

    @property
    def raw(self) -> Path:
        return self.data / "raw" / self.model
