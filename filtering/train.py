"""`python filtering/train.py --data data/labels/<model>`: train the front-facing classifier.

Reads labelled crops (`<data>/<class>/*.jpg`, classes front, front_angled, other) and the moves of
any reviews given, cross-validates for held-back predictions, trains an Ultralytics YOLO
classifier on all crops, and writes `<out>/front_classifier.pt`, the front threshold calibrated for
clean's precision next to it, and an evaluation report on the held-back predictions.
"""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: Python put filtering/ on sys.path, the imports need the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filtering.arguments import BriefParser
from filtering.classes import CLASSIFIER_CLASSES, DEFAULT_CLASSIFIER
from filtering.crop_fit import FIT_SAID, FITS, fit_parts
from filtering.device import check_device
from filtering.next_steps import script
from filtering.settings import LABELS_FOLDER, FilterSettings
from filtering.training.calibration import Calibration, calibrate, with_other_threshold
from filtering.training.cli import (
    TrainingStopped,
    add_reviews_aloud,
    at_least_two,
    fraction,
    guarded,
    positive_int,
    print_report_paths,
    read_aloud,
    score_aloud,
)
from filtering.training.console import Progress, output_to
from filtering.training.install import finish_aloud, remove_leftovers
from filtering.training.labelled import Item, LabelledSet
from filtering.training.previous import Installed, leftovers, put_in_place
from filtering.training.settings import BACKBONE_FOLDS, DEFAULT_START, TrainSettings
from filtering.training.split import Split, k_folds
from filtering.training.trainer import Trained, train
from filtering.weights import WeightsError

DEFAULTS = TrainSettings(data=Path("."))

_OPTIONS: list[tuple[str, Callable[[str], object], str]] = [
    ("epochs", positive_int, "epochs of each training run (fixed: no epoch is chosen)"),
    ("folds", at_least_two, "cross-validation folds for the held-back predictions"),
    ("repeats", positive_int, "rounds of cross-validation whose heads together are the model"),
    ("precision", fraction, "clean's precision target; the front threshold is chosen for it"),
    ("imgsz", positive_int, "input size in pixels, recorded in the weights for run.py"),
    ("batch", positive_int, "images per training step"),
    ("workers", int, "image loading processes (GPU only: on a CPU Ultralytics uses none)"),
    ("seed", int, "seed of the folds, the balancing and the training"),
]


def parse_args(argv: list[str] | None = None) -> TrainSettings:
    p = BriefParser(prog="filtering/train.py", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="folder of <class>/*.jpg crops")
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULTS.out,
        help=f"folder for the weights and report (default {DEFAULTS.out})",
    )
    p.add_argument("--weights", help=f"starting weights (default {DEFAULT_START})")
    p.add_argument(
        "--device",
        default=DEFAULTS.device,
        help=f"cpu, or a GPU: 0, cuda:0, mps (default {DEFAULTS.device})",
    )
    for name, kind, text in _OPTIONS:
        default = getattr(DEFAULTS, name)
        flag = f"--{name.replace('_', '-')}"
        if name == "folds":  # decided with --train-backbone, below
            said = f"{default}, or {BACKBONE_FOLDS} with --train-backbone"
            p.add_argument(flag, type=kind, help=f"{text} (default {said})")
            continue
        p.add_argument(flag, type=kind, default=default, help=f"{text} (default {default})")
    p.add_argument(
        "--reviewed",
        type=Path,
        action="append",
        default=[],
        metavar="FOLDER",
        help="a data/final/<model> folder whose review moves are labels too (repeatable)",
    )
    p.add_argument(
        "--train-backbone",
        action="store_true",
        help="train the whole network, not only the classification head (for thousands of crops)",
    )
    p.add_argument(
        "--crop-fit",
        choices=FITS,
        help="how a crop is made square for the head: whole (stretch), whole on grey (pad) or "
        f"its centre (centre); recorded in the model for run.py (default {DEFAULTS.crop_fit})",
    )
    p.add_argument(
        "--no-balance",
        dest="balance",
        action="store_false",
        help="do not oversample smaller classes",
    )
    args = vars(p.parse_args(argv))
    if args["folds"] is None:
        args["folds"] = BACKBONE_FOLDS if args["train_backbone"] else DEFAULTS.folds
    if args["crop_fit"] is None:
        args["crop_fit"] = DEFAULTS.crop_fit
    elif args["train_backbone"]:  # Ultralytics' training crops the pictures its own way
        p.error("--crop-fit is for the head alone: --train-backbone learns from Ultralytics' crops")
    return TrainSettings(**{**args, "reviewed": tuple(args["reviewed"])})


def run(settings: TrainSettings) -> int:
    finish_aloud(settings.out)  # a training stopped while its files took their places: finished
    _remove_leftovers_aloud(settings)
    if settings.weights and not Path(settings.weights).is_file():
        raise WeightsError(f"starting weights not found: {settings.weights}")  # before any work
    check_device(settings.device)
    found = read_aloud(settings.data, CLASSIFIER_CLASSES, require_all=not settings.reviewed)
    if settings.reviewed:
        found = add_reviews_aloud(found, settings.reviewed)
    folds = k_folds(found.items, CLASSIFIER_CLASSES, settings.folds, settings.seed)
    print(
        f"training: {_plan(settings, len(found.items))}; "
        f"Ultralytics' output (kept once training begins): {settings.log_path}"
    )
    try:
        trained, calibration, installed = _train_and_install(settings, found, folds)
    except BaseException as failure:  # the unfinished model goes, nothing else changes
        remove_leftovers(settings.out, leftovers(settings))  # none once the install is committed
        if isinstance(failure, KeyboardInterrupt):
            raise TrainingStopped from None
        raise
    try:
        _say_installed(settings, trained, calibration, installed)
    except KeyboardInterrupt:
        raise TrainingStopped(installed.weights) from None
    if installed.stopped:
        raise TrainingStopped(installed.weights)
    return 0


def _train_and_install(
    settings: TrainSettings, found: LabelledSet, folds: Sequence[Split]
) -> tuple[Trained, Calibration, Installed]:
    """Train, calibrate, score, then put the model, its calibration and the report in place."""
    began = time.perf_counter()
    progress = Progress(sys.stdout, _runs(settings) * settings.epochs)
    # A training that stops before its first epoch (weights that do not load) leaves no log.
    with output_to(settings.log_path, started=lambda: progress.done > 0):
        trained = train(settings, found.items, folds, CLASSIFIER_CLASSES, progress)
    progress.finish()
    print(f"starting weights: {trained.start}")
    calibration = calibrate(trained.held_back, settings.precision)
    calibration = with_other_threshold(calibration, trained.held_back)
    # for an export of the model, which keeps neither
    calibration = replace(calibration, crop_fit=trained.crop_fit, square_heads=trained.square_heads)
    facts = _facts(settings, found, trained, calibration, time.perf_counter() - began)
    evaluation = score_aloud(trained.held_back, found, facts)
    return trained, calibration, put_in_place(settings, calibration, evaluation)


def _say_installed(
    settings: TrainSettings, trained: Trained, calibration: Calibration, installed: Installed
) -> None:
    """What is in place now; only said once all of it is."""
    if installed.kept is not None:
        print(f"the model this training replaces is kept as {installed.kept}")
    print(f"{calibration.describe()} (written to {installed.calibration})")
    print(calibration.describe_other())
    print_report_paths(*installed.report)
    print(f"weights: {installed.weights}")
    command = filter_command(installed.weights, trained.detector, settings.data)
    print(f"next, filter with it: {command}")
    print(
        "  it sorts the photos not decided yet and the crops waiting in to_label/; photos already "
        'in a set keep it (README, "Sorting again": to sort them anew with this model)'
    )


def _remove_leftovers_aloud(settings: TrainSettings) -> None:
    removed = remove_leftovers(settings.out, leftovers(settings))
    if removed:
        names = ", ".join(path.name for path in removed)
        print(f"removed what a training that did not finish left in {settings.out}: {names}")


def filter_command(weights: Path, detector: Path | None, labels: Path) -> str:
    """run.py as it finds these weights (by default at models/, else named), with the detector
    file training started from: a user who trains offline from one filters offline with it; and
    the data folder the labels belong to when they lie in its `labels/<model>/` (README's
    layout) and it is not run.py's default."""
    command = f"python {script('filtering/run.py')}"
    data = labels.parent.parent if labels.parent.name == LABELS_FOLDER else None
    if data is not None and data.resolve() != FilterSettings().data.resolve():
        command += f" --data {shlex.quote(str(data))}"
    if detector is not None:
        command += f" --detector {shlex.quote(str(detector))}"
    if weights.resolve() != DEFAULT_CLASSIFIER.resolve():
        command += f" --classifier {shlex.quote(str(weights))}"
    return command


def _plan(settings: TrainSettings, crops: int) -> str:
    if settings.train_backbone:
        return (
            f"{settings.folds}-fold cross-validation, then all {crops} crops, "
            f"{settings.epochs} epochs each"
        )
    return (
        f"{settings.repeats} x {settings.folds}-fold cross-validation of the head on {crops} "
        f"crops' features ({FIT_SAID[settings.crop_fit]}), {settings.epochs} epochs each; "
        f"the {_runs(settings)} heads{_each_square(settings)} are the model"
    )


def _each_square(settings: TrainSettings) -> str:
    return " of each square" if len(fit_parts(settings.crop_fit)) > 1 else ""


def _runs(settings: TrainSettings) -> int:
    """Training runs of one call: the fold models (and the model on all crops, or the repeats)."""
    if settings.train_backbone:
        return settings.folds + 1
    return settings.folds * settings.repeats


def _facts(
    settings: TrainSettings,
    found: LabelledSet,
    trained: Trained,
    calibration: Calibration,
    seconds: float,
) -> dict[str, Any]:
    """What the report says about the training, above its numbers."""
    return {
        "title": "Front-facing classifier: held-back predictions of cross-validation",
        "weights": str(settings.weights_path),  # where it is once in place, not its staged name
        "starting_weights": trained.start,
        "data": str(settings.data),
        "reviewed": [str(folder) for folder in settings.reviewed],
        "folds": f"{settings.folds}, seed {settings.seed}: each crop predicted by a model "
        "trained without it",
        "train_images": {c: _count(found.items, c) for c in CLASSIFIER_CLASSES},
        "train_images_balanced": trained.train_counts,
        "epochs": settings.epochs,
        "front_conf": calibration.front_conf,
        "other_conf": calibration.other_conf,
        "calibration": calibration.describe(),
        "other_threshold": calibration.describe_other(),
        "imgsz": settings.imgsz,
        "crop_fit": trained.crop_fit,
        "square_heads": trained.square_heads,
        "device": settings.device,
        "seconds": round(seconds, 1),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _count(items: Sequence[Item], label: str) -> int:
    return sum(item.label == label for item in items)


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    return guarded(lambda: run(settings))


if __name__ == "__main__":
    sys.exit(main())
