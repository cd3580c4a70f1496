"""`python filtering/train.py --data data/labels/<model>`: train the front-facing classifier.

Reads labelled crops (`<data>/<class>/*.jpg`, classes front, front_angled, other), splits them
into train and val (stratified, seeded), trains an Ultralytics YOLO classifier, and writes
`<out>/front_classifier.pt` with an evaluation report on the val split next to it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: Python put filtering/ on sys.path, the imports need the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filtering.classes import CLASSIFIER_CLASSES
from filtering.training.cli import evaluate_and_report, fraction, guarded, positive_int, read_aloud
from filtering.training.labelled import Item
from filtering.training.settings import DEFAULT_START, TrainSettings
from filtering.training.split import Split, stratified_split
from filtering.training.start import choose_start
from filtering.training.trainer import Trained, train
from filtering.weights import WeightsError, load_yolo

DEFAULTS = TrainSettings(data=Path("."))
REPORT_STEM = "front_classifier_report"

_OPTIONS: list[tuple[str, Callable[[str], object], str]] = [
    ("epochs", positive_int, "most epochs to train"),
    ("patience", positive_int, "stop after this many epochs without a better val accuracy"),
    ("imgsz", positive_int, "input size in pixels, recorded in the weights for run.py"),
    ("batch", positive_int, "images per training step"),
    ("workers", int, "image loading processes (GPU only: on a CPU Ultralytics uses none)"),
    ("seed", int, "seed of the split, the balancing and the training"),
    ("val_fraction", fraction, "share of each class held out to check the model"),
]


def parse_args(argv: list[str] | None = None) -> TrainSettings:
    p = argparse.ArgumentParser(prog="filtering/train.py", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="folder of <class>/*.jpg crops")
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULTS.out,
        help=f"folder for the weights and report (default {DEFAULTS.out})",
    )
    p.add_argument("--weights", help=f"starting weights (default {DEFAULT_START})")
    p.add_argument("--device", default=DEFAULTS.device, help="cpu, or a GPU: 0, cuda:0, mps")
    for name, kind, text in _OPTIONS:
        default = getattr(DEFAULTS, name)
        flag = f"--{name.replace('_', '-')}"
        p.add_argument(flag, type=kind, default=default, help=f"{text} (default {default})")
    p.add_argument(
        "--no-balance",
        dest="balance",
        action="store_false",
        help="do not oversample smaller classes",
    )
    return TrainSettings(**vars(p.parse_args(argv)))


def run(settings: TrainSettings) -> int:
    if settings.weights and not Path(settings.weights).is_file():
        raise WeightsError(f"starting weights not found: {settings.weights}")  # before any work
    found = read_aloud(settings.data, CLASSIFIER_CLASSES, require_all=True)
    split = stratified_split(found.items, CLASSIFIER_CLASSES, settings.val_fraction, settings.seed)
    print(
        f"split (seed {settings.seed}): {len(split.train)} to train on, {len(split.val)} to check"
    )
    start = choose_start(settings.weights, settings.seed)
    print(f"starting weights: {start.description}")
    trained = train(settings, split, start, CLASSIFIER_CLASSES)
    print(f"weights: {trained.weights} ({trained.epochs_run} epochs, best {trained.best_epoch})")
    model = load_yolo(trained.weights, "classify", "trained")
    facts = _facts(settings, split, start.description, trained)
    evaluate_and_report(model, split.val, found, facts, settings.out / REPORT_STEM)
    return 0


def _facts(settings: TrainSettings, split: Split, start: str, trained: Trained) -> dict[str, Any]:
    """What the report says about the training, above its numbers."""
    return {
        "title": "Front-facing classifier: evaluation on the held-out val split",
        "weights": str(trained.weights),
        "starting_weights": start,
        "data": str(settings.data),
        "split": f"seed {settings.seed}, val fraction {settings.val_fraction}",
        "train_images": {c: _count(split.train, c) for c in CLASSIFIER_CLASSES},
        "train_images_balanced": trained.train_counts,
        "epochs": f"{trained.epochs_run} run of {settings.epochs}, best {trained.best_epoch}",
        "imgsz": settings.imgsz,
        "device": settings.device,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _count(items: Sequence[Item], label: str) -> int:
    return sum(item.label == label for item in items)


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    return guarded(lambda: run(settings))


if __name__ == "__main__":
    sys.exit(main())
