"""What train.py and evaluate.py share: argument checks, reading the labelled folder aloud,
evaluating and reporting, and turning expected failures into one clear line and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from filtering.arguments import INTERRUPTED
from filtering.classes import CLASSIFIER_CLASSES
from filtering.device import DeviceError
from filtering.training.labelled import (
    DataError,
    Item,
    LabelledSet,
    check_found,
    other_folders,
    read_labelled,
)
from filtering.training.metrics import score, share_text
from filtering.training.predict import Prediction, predict
from filtering.training.report import Evaluation, write_report
from filtering.training.reviewed import merged, read_reviewed
from filtering.weights import WeightsError


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def at_least_two(text: str) -> int:
    if not text.isdigit() or int(text) < 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 2")
    return int(text)


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a fraction strictly between 0 and 1, e.g. 0.95"
        )
    return value


class TrainingStopped(Exception):
    """Ctrl-C while a training ran: nothing it would have replaced has changed; or, once its
    files were being put in place (`installed`, its model), they were put in place first."""

    def __init__(self, installed: Path | None = None) -> None:
        super().__init__()
        self.installed = installed

    def __str__(self) -> str:
        if self.installed is not None:
            return (
                "stopped: the training had come to its end and its files are in place, its "
                f"model {self.installed}"
            )
        return (
            "stopped: the training did not finish; the model in use and the one kept before it "
            "are as they were"
        )


def guarded(main: Callable[[], int]) -> int:
    """Run `main`; bad data or weights end with the message and exit code 2, Ctrl-C with a line
    saying so and exit code 130, neither with a traceback."""
    try:
        return main()
    except (DataError, WeightsError, DeviceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (TrainingStopped, KeyboardInterrupt) as stop:
        print(f"\n{str(stop) or 'stopped'}", file=sys.stderr)
        return INTERRUPTED


def read_aloud(folder: Path, classes: Sequence[str], require_all: bool) -> LabelledSet:
    """The labelled set, saying what was found and naming every file left out."""
    found = read_labelled(folder, classes, require_all)
    counts = ", ".join(f"{c} {found.count(c)}" for c in classes)
    print(f"labelled crops in {folder}: {counts}")
    for name in other_folders(folder, classes):
        print(f"ignored folder {folder / name}/: not a class ({', '.join(classes)})")
    for label in found.missing:
        print(f"no images of class {label}: {folder / label}/ is missing or empty")
    if found.skipped:
        print(f"skipped {len(found.skipped)} unreadable image(s):")
        for skipped in found.skipped:
            print(f"  {skipped.path}: {skipped.reason}")
    return found


def add_reviews_aloud(found: LabelledSet, folders: Sequence[Path]) -> LabelledSet:
    """`found` with the crops the reviews of `folders` moved, saying how many of each class."""
    reviews = [read_reviewed(folder) for folder in folders]
    out, changed = merged(found, reviews)
    for review in reviews:
        counts = Counter(item.label for item in review.items)
        shown = ", ".join(f"{c} {counts[c]}" for c in CLASSIFIER_CLASSES)
        print(f"review moves in {review.folder}: {shown}")
        for skipped in review.skipped:
            print(f"  skipped {skipped.path}: {skipped.reason}")
        if review.bad_lines:
            print(f"  {review.bad_lines} unreadable line(s) in its records skipped")
    if changed:
        print(f"{changed} labelled crop(s) take the other class a later review gave them")
    check_found(out, CLASSIFIER_CLASSES, require_all=True)
    return out


def evaluate_and_report(
    model: Any, items: Sequence[Item], found: LabelledSet, facts: dict[str, Any], stem: Path
) -> Evaluation:
    """Predict `items` at the facts' imgsz, device and crop fit, score, write `<stem>.html` and
    `.json`."""
    imgsz, device, fit = int(facts["imgsz"]), str(facts["device"]), str(facts["crop_fit"])
    predictions = predict(model, items, imgsz, device, fit)
    return report_predictions(predictions, found, facts, stem)


def report_predictions(
    predictions: Sequence[Prediction], found: LabelledSet, facts: dict[str, Any], stem: Path
) -> Evaluation:
    """Score `predictions`, print the figures, write `<stem>.html` and `.json`."""
    evaluation = score_aloud(predictions, found, facts)
    print_report_paths(*write_report(evaluation, stem))
    return evaluation


def score_aloud(
    predictions: Sequence[Prediction], found: LabelledSet, facts: dict[str, Any]
) -> Evaluation:
    """Score `predictions` and print the per-class figures and the accuracy."""
    scores = score(predictions, CLASSIFIER_CLASSES)
    evaluation = Evaluation(str(facts["title"]), facts, scores, predictions, found.skipped)
    for s in scores.per_class:
        print(
            f"  {s.label:<13} images {s.images:>5}  "
            f"precision {share_text(s.correct, s.predicted):>5}  "
            f"recall {share_text(s.correct, s.images):>5}"
        )
    right = sum(p.predicted == p.label for p in predictions)
    print(f"accuracy {share_text(right, len(predictions))} on {len(predictions)} images")
    return evaluation


def print_report_paths(html_path: Path, json_path: Path) -> None:
    print(f"report: {html_path} (numbers: {json_path})")
