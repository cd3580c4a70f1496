"""Per-class precision and recall and the confusion matrix, from per-image predictions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from filtering.training.predict import Prediction


@dataclass(frozen=True)
class ClassScore:
    label: str
    images: int  # of this class (support)
    predicted: int  # predicted as this class
    correct: int
    precision: float | None  # None: nothing was predicted as this class
    recall: float | None  # None: no image of this class


@dataclass(frozen=True)
class Scores:
    classes: list[str]  # row and column order of the matrix
    confusion: list[list[int]]  # confusion[true][predicted]
    per_class: list[ClassScore]
    accuracy: float


def score(predictions: Sequence[Prediction], classes: Sequence[str]) -> Scores:
    """Scores over `classes`, extended by any other label the model predicted."""
    order = list(classes) + sorted({p.predicted for p in predictions} - set(classes))
    index = {label: i for i, label in enumerate(order)}
    matrix = [[0] * len(order) for _ in order]
    for p in predictions:
        matrix[index[p.label]][index[p.predicted]] += 1
    per_class = [_class_score(label, i, matrix) for i, label in enumerate(order)]
    correct = sum(matrix[i][i] for i in range(len(order)))
    return Scores(order, matrix, per_class, _ratio(correct, len(predictions)) or 0.0)


def _class_score(label: str, i: int, matrix: list[list[int]]) -> ClassScore:
    images = sum(matrix[i])
    predicted = sum(row[i] for row in matrix)
    correct = matrix[i][i]
    return ClassScore(
        label, images, predicted, correct, _ratio(correct, predicted), _ratio(correct, images)
    )


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def share_text(part: int, whole: int) -> str:
    """A ratio at 3 decimals from its counts: the stored 4-decimal value rounded again could
    differ (17 of 21 is 0.8095, which prints as 0.809, where 0.810 is right)."""
    return f"{part / whole:.3f}" if whole else "n/a"
