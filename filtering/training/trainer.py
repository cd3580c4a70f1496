"""Training: the split laid out in a work folder, Ultralytics run there, the best weights copied
to their place under a temporary name and renamed, so run.py never loads half a file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filtering.training.settings import TrainSettings, ultralytics_args
from filtering.training.split import Split, balanced, write_layout
from filtering.training.start import Start
from filtering.weights import WeightsError


@dataclass(frozen=True)
class Trained:
    weights: Path
    epochs_run: int
    best_epoch: int | None
    train_counts: dict[str, int]  # after balancing


def train(settings: TrainSettings, split: Split, start: Start, classes: Sequence[str]) -> Trained:
    """Train from `start` on `split`; the weights end up at `settings.weights_path`."""
    with tempfile.TemporaryDirectory(prefix="scars-train-") as work_dir:
        work = Path(work_dir)
        train_items = (
            balanced(split.train, classes, settings.seed) if settings.balance else split.train
        )
        write_layout(work / "split", "train", train_items, classes)
        write_layout(work / "split", "val", split.val, classes)
        trainer = _run(start, ultralytics_args(settings, work / "split", work / "runs"))
        _install(Path(trainer.best), settings.weights_path)
        return Trained(
            weights=settings.weights_path,
            epochs_run=int(trainer.epoch) + 1,
            best_epoch=_best_epoch(trainer),
            train_counts=dict(Counter(item.label for item in train_items)),
        )


def _run(start: Start, args: dict[str, Any]) -> Any:
    start.model.train(**args)
    trainer = start.model.trainer
    if not Path(trainer.best).is_file():
        raise WeightsError(f"training ended without weights (no {trainer.best})")
    return trainer


def _best_epoch(trainer: Any) -> int | None:
    stopper = getattr(trainer, "stopper", None)
    best = getattr(stopper, "best_epoch", None)
    return None if best is None else int(best) + 1


def _install(best: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(best, partial)
    os.replace(partial, target)
