"""Training end to end with the real Ultralytics: the files, the report's numbers, the split."""

from __future__ import annotations

import json
from pathlib import Path

from filtering.classes import CLASSIFIER_CLASSES
from tests.training.conftest import QUICK, TrainedRun, run_script, snapshot
from tests.training.reports import assert_report_matches_model


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
    report = assert_report_matches_model(trained.report_json, trained.weights)
    assert report["images"] == 9


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


def test_a_classifier_as_starting_weights_is_fine_tuned(
    trained: TrainedRun, tmp_path: Path
) -> None:
    quick = ("--imgsz", "64", "--epochs", "1", "--workers", "0")
    args = ("--data", str(trained.data), "--out", str(tmp_path), "--weights", str(trained.weights))
    before = trained.weights.read_bytes()
    result = run_script("train", tmp_path, *args, *quick)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"starting weights: classifier {trained.weights} (fine-tuned)" in result.stdout
    report = json.loads((tmp_path / "front_classifier_report.json").read_text())
    assert report["starting_weights"] == f"classifier {trained.weights} (fine-tuned)"
    assert trained.weights.read_bytes() == before  # the model it started from is left alone


def test_the_same_seed_trains_the_same_model(
    trained: TrainedRun, tmp_path: Path, detector_weights: Path
) -> None:
    args = ("--data", str(trained.data), "--out", str(tmp_path), "--weights", str(detector_weights))
    result = run_script("train", tmp_path, *args, *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    again = json.loads((tmp_path / "front_classifier_report.json").read_text())
    first = json.loads(trained.report_json.read_text())
    assert again["predictions"] == first["predictions"]  # same split, same confidences
