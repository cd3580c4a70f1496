"""Checking a report against a recomputation from a model's predictions: the saved model's own
(evaluate.py), or the held-back predictions the report lists (train.py's cross-validation)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from PIL import Image

from filtering.classes import CLASSIFIER_CLASSES
from filtering.classify import flip_averaged
from filtering.crop_fit import fit_of


def assert_report_matches_model(report_json: Path, weights: Path) -> dict:
    """Ask the weights about the report's images as run.py would (flip-averaged, each made
    square the way the model learnt); its matrix and scores must follow from that."""
    from ultralytics import YOLO

    report = json.loads(report_json.read_text())
    paths = [Path(p["path"]) for p in report["predictions"]]
    model = YOLO(str(weights))
    assert report["crop_fit"] == fit_of(model)
    crops = [Image.open(path).convert("RGB") for path in paths]
    verdicts = flip_averaged(model, crops, report["imgsz"], "cpu", fit_of(model))
    assert [v.label for v in verdicts] == [p["predicted"] for p in report["predictions"]]
    return assert_report_matches_predictions(report_json)


def assert_report_matches_predictions(report_json: Path) -> dict:
    """The report's matrix, scores and thumbnails must follow from the predictions it lists."""
    report = json.loads(report_json.read_text())
    paths = [Path(p["path"]) for p in report["predictions"]]
    truth = [p["label"] for p in report["predictions"]]
    predicted = [p["predicted"] for p in report["predictions"]]

    classes = list(CLASSIFIER_CLASSES)
    matrix = [[0] * 3 for _ in classes]
    for t, p in zip(truth, predicted, strict=True):
        matrix[classes.index(t)][classes.index(p)] += 1
    assert report["confusion"]["matrix"] == matrix
    for i, label in enumerate(classes):
        column, row = sum(r[i] for r in matrix), sum(matrix[i])
        scores = report["per_class"][label]
        assert (scores["images"], scores["predicted"]) == (row, column)
        assert scores["recall"] == (round(matrix[i][i] / row, 4) if row else None)
        assert scores["precision"] == (round(matrix[i][i] / column, 4) if column else None)
    assert report["accuracy"] == round(sum(matrix[i][i] for i in range(3)) / len(paths), 4)
    wrong = sum(t != p for t, p in zip(truth, predicted, strict=True))
    html = report_json.with_suffix(".html").read_text()
    assert f"Misclassified ({wrong})" in html
    assert len(re.findall(r'<img src="data:image/jpeg', html)) == wrong
    return report
