"""Asking a classifier about labelled images, in batches, the way run.py's classifier is asked
(each crop and its mirror, their probabilities averaged)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image

from filtering.training.labelled import Item

T = TypeVar("T")

BATCH = 32  # images per predict call: enough to amortise the call, little memory


@dataclass(frozen=True)
class Prediction:
    path: Path
    label: str  # the true class
    predicted: str
    conf: float
    other: float | None = None  # the probability of `other`, as run.py's verdicts carry it


def predict(
    model: Any, items: Sequence[Item], imgsz: int, device: str, fit: str
) -> list[Prediction]:
    """One prediction per item, in order, each crop made square the way `fit` says."""
    from filtering.classify import flip_averaged  # run.py's own way of asking
    from filtering.crop_fit import fit_parts
    from filtering.square_heads import square_heads, square_models

    heads = square_heads(model, len(fit_parts(fit)))
    models = square_models(model, heads) if heads else None
    out: list[Prediction] = []
    for chunk in chunks(items, BATCH):
        crops = [open_rgb(item.path) for item in chunk]
        verdicts = flip_averaged(model, crops, imgsz, device, fit, models)
        for item, verdict in zip(chunk, verdicts, strict=True):
            out.append(
                Prediction(item.path, item.label, verdict.label, verdict.conf, verdict.other)
            )
    return out


def open_rgb(path: Path) -> Image.Image:
    """A labelled crop, decoded and closed, as the models are given it."""
    with Image.open(path) as image:
        return image.convert("RGB")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in consecutive runs of `size` (the last may be shorter)."""
    for first in range(0, len(items), size):
        yield items[first : first + size]
