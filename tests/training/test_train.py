"""Training end to end with the real Ultralytics: the files, the report's numbers, the split."""

from __future__ import annotations

import json
import re
from pathlib import Path

from filtering.classes import CLASSIFIER_CLASSES
from tests.training.conftest import TrainedRun, snapshot


def test_training_writes_weights_report_and_json(trained: TrainedRun) -> None:
    names = sorted(p.name for p in trained.out.iterdir())
    # Nothing half-written is left behind, and the run folders are not in --out.
    assert names == [
        "front_classifier.pt",
        "front_classifier_report.html",
        "front_classifier_report.json",
    ]
    assert "starting weights: yolov8n-cls.yaml with the backbone of the detect model" in (
        trained.result.stdout
    )
    report = json.loads(trained.report_json.read_text())
    assert "backbone of the detect model" in report["starting_weights"]
    assert report["classes"] == list(CLASSIFIER_CLASSES)
    html = (trained.out / "front_classifier_report.html").read_text()
    assert "backbone of the detect model" in html
    assert "Confusion matrix" in html


def test_the_saved_model_is_a_classifier_of_the_three_classes(trained: TrainedRun) -> None:
    from ultralytics import YOLO

    model = YOLO(str(trained.weights))
    assert model.task == "classify"
    assert list(model.names.values()) == list(CLASSIFIER_CLASSES)


def test_report_numbers_match_the_saved_models_predictions(trained: TrainedRun) -> None:
    from ultralytics import YOLO

    report = json.loads(trained.report_json.read_text())
    paths = [Path(p["path"]) for p in report["predictions"]]
    truth = [p.parent.name for p in paths]
    model = YOLO(str(trained.weights))
    results = model.predict([str(p) for p in paths], imgsz=report["imgsz"], verbose=False)
    predicted = [r.names[r.probs.top1] for r in results]

    classes = list(CLASSIFIER_CLASSES)
    matrix = [[0] * 3 for _ in classes]
    for t, p in zip(truth, predicted, strict=True):
        matrix[classes.index(t)][classes.index(p)] += 1
    assert report["confusion"]["matrix"] == matrix
    for i, label in enumerate(classes):
        column, row = sum(r[i] for r in matrix), sum(matrix[i])
        scores = report["per_class"][label]
        assert scores["images"] == row
        assert scores["predicted"] == column
        assert scores["recall"] == round(matrix[i][i] / row, 4)
        assert scores["precision"] == (round(matrix[i][i] / column, 4) if column else None)
    assert report["accuracy"] == round(sum(matrix[i][i] for i in range(3)) / len(paths), 4)
    wrong = sum(t != p for t, p in zip(truth, predicted, strict=True))
    html = (trained.out / "front_classifier_report.html").read_text()
    assert f"Misclassified ({wrong})" in html
    assert len(re.findall(r'<img src="data:image/jpeg', html)) == wrong


def test_the_report_is_on_a_stratified_held_out_split(trained: TrainedRun) -> None:
    report = json.loads(trained.report_json.read_text())
    val = {Path(p["path"]).name for p in report["predictions"]}
    # 16 per class, val fraction 0.2: 3 of each class held out, 13 trained on.
    assert [report["per_class"][c]["images"] for c in CLASSIFIER_CLASSES] == [3, 3, 3]
    assert report["train_images"] == {c: 13 for c in CLASSIFIER_CLASSES}
    assert all((trained.data / n.split("_0_")[0] / n).is_file() for n in val)
    assert "split (seed 0): 39 to train on, 9 to check" in trained.result.stdout


def test_the_labelled_folder_is_left_as_it_was(trained: TrainedRun) -> None:
    assert snapshot(trained.data) == trained.snapshot


def test_the_model_learnt_the_shapes(trained: TrainedRun) -> None:
    # Chance is 1/3; the detector's features make the three shapes easy in a few epochs.
    report = json.loads(trained.report_json.read_text())
    assert report["accuracy"] >= 0.66
