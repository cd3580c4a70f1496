"""Asking a classifier about labelled images, in batches, the way run.py's classifier is asked."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    out: list[Prediction] = []
    for chunk in _chunks(items, BATCH):
        sources = [str(item.path) for item in chunk]
        results = model.predict(
            sources, imgsz=imgsz, device=device, batch=len(chunk), verbose=False
        )
        for item, result in zip(chunk, results, strict=True):
            predicted = result.names[result.probs.top1]
            # Rounded as run.py's classifier rounds: a threshold calibrated on these confidences
            # routes the crops exactly as the recount says.
            conf = round(float(result.probs.top1conf), 4)
            out.append(Prediction(item.path, item.label, predicted, conf))
    return out


def _chunks(items: Sequence[Item], size: int) -> Iterator[Sequence[Item]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]
