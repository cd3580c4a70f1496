"""Training: held-back predictions from cross-validation, and the model that is kept.

Head only (the default): the cross-validated heads on cached features are the kept model, merged
into one (ensemble.py). With the backbone trained: each fold's model trains on the other folds
and predicts its own, then the kept model trains on all crops with the same settings, for the
same fixed number of epochs. Either way every crop gets a prediction from a model that never saw
it, for the report and the calibration of the front threshold. Ultralytics runs in a work folder;
the kept weights are put in place under a temporary name and renamed, so run.py never loads half
a file.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from filtering.crop_fit import CENTRE, fit_parts
from filtering.files import write_atomic
from filtering.training.console import Progress
from filtering.training.ensemble import train_heads
from filtering.training.labelled import Item
from filtering.training.predict import Prediction, predict
from filtering.training.settings import TrainSettings, ultralytics_args
from filtering.training.split import Split, balanced, write_layout
from filtering.training.start import choose_start
from filtering.weights import WeightsError, load_yolo, use_threads


@dataclass(frozen=True)
class Trained:
    weights: Path
    start: str  # the starting weights, as the user is told
    # Crops per class the kept model (head only: each of its heads) trained on, after balancing.
    train_counts: dict[str, int]
    held_back: list[Prediction]  # every crop, predicted by the fold model that did not see it
    detector: Path | None = None  # the detector the start took its backbone from, if any
    crop_fit: str = CENTRE  # how the kept model makes a crop square (crop_fit.py)
    square_heads: bool = False  # whether each square has heads of its own (square_heads.py)


def train(
    settings: TrainSettings,
    items: Sequence[Item],
    folds: Sequence[Split],
    classes: Sequence[str],
    progress: Progress,
) -> Trained:
    """Cross-validate over `folds` (then train on all `items` when the backbone learns too); the
    weights end up at `settings.staged_weights_path`, for train.py to put in place."""
    if not settings.train_backbone:
        chosen = choose_start(settings.weights, settings.seed)
        held, counts = train_heads(settings, items, classes, chosen, progress)
        staged = settings.staged_weights_path
        fit = settings.crop_fit
        own_heads = len(fit_parts(fit)) > 1
        return Trained(staged, chosen.description, counts, held, chosen.detector, fit, own_heads)
    held_back: list[Prediction] = []
    with tempfile.TemporaryDirectory(prefix="scars-train-") as work_dir:
        work = Path(work_dir)
        for k, fold in enumerate(folds, 1):
            name = f"cross-validation {k}/{len(folds)}"
            weights, _, _ = _fit(settings, fold.train, classes, work / f"fold{k}", progress, name)
            model = load_yolo(weights, "classify", name)
            # Ultralytics trained it on its own crops of the pictures: asked with its centre.
            held_back += predict(model, fold.val, settings.imgsz, settings.device, CENTRE)
        weights, start, counts = _fit(settings, items, classes, work / "all", progress, "all crops")
        _install(weights, settings.staged_weights_path)
    return Trained(settings.staged_weights_path, start, counts, held_back)


def _fit(
    settings: TrainSettings,
    items: Sequence[Item],
    classes: Sequence[str],
    work: Path,
    progress: Progress,
    name: str,
) -> tuple[Path, str, dict[str, int]]:
    """One training run on `items`: its last weights, its start, its crops per class."""
    use_threads(0)  # a predictor set up earlier in this process left one core idle
    train_items = balanced(items, classes, settings.seed) if settings.balance else list(items)
    write_layout(work / "split", "train", train_items, classes)
    # Ultralytics checks a val folder once at the end; nothing is chosen from it.
    write_layout(work / "split", "val", _one_per_class(items, classes), classes)
    start = choose_start(settings.weights, settings.seed, scratch_allowed=True)
    progress.watch(start.model, name)
    start.model.train(**ultralytics_args(settings, work / "split", work / "runs"))
    last = Path(start.model.trainer.last)
    if not last.is_file():
        raise WeightsError(f"training ended without weights (no {last})")
    return last, start.description, dict(Counter(item.label for item in train_items))


def _one_per_class(items: Sequence[Item], classes: Sequence[str]) -> list[Item]:
    firsts = {item.label: item for item in reversed(items)}
    return [firsts[c] for c in classes if c in firsts]


def _install(best: Path, target: Path) -> None:
    write_atomic(target, lambda partial: shutil.copyfile(best, partial))
