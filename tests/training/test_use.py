"""The whole loop: train with the defaults where they apply, then filtering/run.py uses it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.filter.scenes import bus_scene, run_filtering
from tests.training.conftest import run_script
from tests.training.crops import bus_crops, shape_crops


def test_offline_without_weights_the_head_alone_is_not_trained_on_random_features(
    tmp_path: Path,
) -> None:
    shape_crops(tmp_path / "labels", per_class=4)
    quick = ("--imgsz", "32", "--epochs", "1", "--folds", "2", "--workers", "0")
    result = run_script("train", tmp_path, "--data", "labels", *quick, module=True)
    assert result.returncode == 2
    assert "error: the default starting weights yolov8n-cls.pt could not be had" in result.stderr
    assert "give --weights" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "models" / "front_classifier.pt").exists()


def test_offline_without_weights_the_whole_network_trains_from_scratch_and_says_so(
    tmp_path: Path,
) -> None:
    shape_crops(tmp_path / "labels", per_class=4)
    quick = ("--imgsz", "32", "--epochs", "1", "--folds", "2", "--workers", "0")
    args = ("--data", "labels", "--train-backbone", *quick)
    result = run_script("train", tmp_path, *args, module=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "starting weights: yolov8n-cls.yaml from scratch (random weights)" in result.stdout
    # The default place, relative to the working folder: where run.py looks.
    assert (tmp_path / "models" / "front_classifier.pt").is_file()
    report = json.loads((tmp_path / "models" / "front_classifier_report.json").read_text())
    assert report["starting_weights"].startswith("yolov8n-cls.yaml from scratch")
    assert "yolov8n-cls.pt could not be had" in report["starting_weights"]


def test_the_trained_model_is_picked_up_by_run_py(
    tmp_path: Path, bus_photo: Path, detector_weights: Path
) -> None:
    bus_crops(bus_photo, tmp_path / "data" / "labels" / "bus", per_class=12)
    quick = ("--imgsz", "64", "--batch", "4", "--epochs", "10", "--folds", "2", "--workers", "0")
    labels = ("--data", "data/labels/bus", "--weights", str(detector_weights))
    trained = run_script("train", tmp_path, *labels, *quick)
    assert trained.returncode == 0, trained.stderr[-3000:]
    raw = tmp_path / "data" / "raw" / "bus"
    raw.mkdir(parents=True)
    bus_scene(bus_photo).save(raw / "a.jpg", quality=92)

    result = run_filtering(
        tmp_path, "--detector", str(detector_weights), "--classifier-imgsz", "64"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "No front-facing classifier" not in result.stderr
    # It is asked the way it learnt: the whole crop, at the size given.
    assert (
        "front_classifier.pt (64 px, the whole crop, resized and on grey, a head for each): "
        "clean at front >=" in result.stdout
    )
    final = tmp_path / "data" / "final" / "bus"
    lines = [json.loads(line) for line in (final / "records.jsonl").read_text().splitlines()]
    record = {r["image_id"]: r for r in lines}["a"]  # the last line of an image is its record
    # The front threshold is the one training calibrated, stored next to the weights.
    calibration = tmp_path / "models" / "front_classifier_calibration.json"
    threshold = json.loads(calibration.read_text())["front_conf"]
    assert record["classifier_label"] == "front"
    fate = "clean" if record["classifier_conf"] >= threshold else "questionable"
    assert record["fate"] == fate
    assert (final / fate / "a.jpg").is_file()
    assert not (final / "to_label").exists() or not any((final / "to_label").iterdir())
