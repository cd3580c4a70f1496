"""Asking a classifier about labelled images, in batches, the way run.py's classifier is asked
(each crop and its mirror, their probabilities averaged)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from filtering.training.labelled import Item

BATCH = 32  # images per predict call: enough to amortise the call, little memory


@dataclass(frozen=True)
class Prediction:
    path: Path
    label: str  # the true class
    predicted: str
    conf: float


def predict(model: Any, items: Sequence[Item], imgsz: int, device: str) -> list[Prediction]:
    """One prediction per item, in order."""
    from filtering.classify import flip_averaged  # run.py's own way of asking

    out: list[Prediction] = []
    for chunk in _chunks(items, BATCH):
        verdicts = flip_averaged(model, [_rgb(item.path) for item in chunk], imgsz, device)
        for item, verdict in zip(chunk, verdicts, strict=True):
            out.append(Prediction(item.path, item.label, verdict.label, verdict.conf))
    return out


def _rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def _chunks(items: Sequence[Item], size: int) -> Iterator[Sequence[Item]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]
