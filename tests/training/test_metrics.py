"""Scores from predictions, worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from filtering.classes import CLASSIFIER_CLASSES
from filtering.training.metrics import score, share_text
from filtering.training.predict import Prediction


def predictions(pairs: list[tuple[str, str]]) -> list[Prediction]:
    return [Prediction(Path(f"{k}.jpg"), t, p, 0.9) for k, (t, p) in enumerate(pairs)]


def test_precision_recall_and_the_matrix() -> None:
    # front: 3 images, 2 right, 1 taken for front_angled; one `other` taken for front.
    pairs = [("front", "front")] * 2 + [("front", "front_angled"), ("other", "front")]
    pairs += [("front_angled", "front_angled"), ("other", "other")]
    scores = score(predictions(pairs), CLASSIFIER_CLASSES)
    assert scores.confusion == [[2, 1, 0], [0, 1, 0], [1, 0, 1]]
    front, angled, other = scores.per_class
    assert (front.images, front.predicted, front.correct) == (3, 3, 2)
    assert (front.precision, front.recall) == (0.6667, 0.6667)
    assert (angled.precision, angled.recall) == (0.5, 1.0)
    assert (other.precision, other.recall) == (1.0, 0.5)
    assert scores.accuracy == 0.6667


def test_a_class_never_predicted_has_no_precision() -> None:
    scores = score(predictions([("front", "other"), ("other", "other")]), CLASSIFIER_CLASSES)
    front, angled, _ = scores.per_class
    assert (front.precision, front.recall) == (None, 0.0)
    assert (angled.precision, angled.recall) == (None, None)


def test_labels_outside_the_classes_get_their_own_column() -> None:
    scores = score(predictions([("front", "sports car")]), CLASSIFIER_CLASSES)
    assert scores.classes == [*CLASSIFIER_CLASSES, "sports car"]
    assert scores.confusion[0] == [0, 0, 0, 1]


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [(17, 21, "0.810"), (2, 3, "0.667"), (0, 4, "0.000"), (0, 0, "n/a")],
)
def test_a_ratio_is_shown_from_its_counts(part: int, whole: int, shown: str) -> None:
    # 17 of 21 is stored as 0.8095, which rounded again shows 0.809
    assert share_text(part, whole) == shown
