"""Training end to end with the real Ultralytics: the files, the report's numbers, the split."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from PIL import Image

from filtering.classes import CLASSIFIER_CLASSES
from filtering.crop_fit import BOTH, CENTRE, FITS, PAD, STRETCH, fit_of, fit_parts
from filtering.square_heads import square_heads
from filtering.training.calibration import MIN_FRONT_VIEWS, calibration_path
from filtering.training.features import backbone_features
from filtering.training.head import head_logits, square_logits
from tests.conftest import SHARED
from tests.training.conftest import QUICK, REPO_ROOT, TrainedRun, run_script, snapshot
from tests.training.crops import shape_crops
from tests.training.reports import assert_report_matches_predictions


@pytest.mark.parametrize(
    ("args", "folds"),
    [
        ([], 5),  # head only: each of the 5 heads is one of the model's
        (["--train-backbone"], 2),  # each fold is a whole training run
        (["--train-backbone", "--folds", "3"], 3),
        (["--folds", "2"], 2),
    ],
)
def test_the_folds_by_default_and_as_given(args: list[str], folds: int) -> None:
    from filtering.train import parse_args

    assert parse_args(["--data", "labels", *args]).folds == folds


def test_training_writes_weights_report_and_json(trained: TrainedRun) -> None:
    names = sorted(p.name for p in trained.out.iterdir())
    # Nothing half-written is left behind, and the run folders are not in --out.
    assert names == [
        "front_classifier.pt",
        "front_classifier_calibration.json",
        "front_classifier_report.html",
        "front_classifier_report.json",
        "front_classifier_training.log",
    ]
    assert "starting weights: yolov8n-cls.yaml with the backbone of the detect model" in (
        trained.result.stdout
    )
    report = json.loads(trained.report_json.read_text())
    assert "backbone of the detect model" in report["starting_weights"]
    assert report["classes"] == list(CLASSIFIER_CLASSES)
    assert report["weights"] == str(trained.weights)  # where it is, not the name it was made as
    html = (trained.out / "front_classifier_report.html").read_text()
    assert "backbone of the detect model" in html
    assert "Confusion matrix" in html


def test_the_saved_model_is_a_classifier_of_the_three_classes(trained: TrainedRun) -> None:
    from ultralytics import YOLO

    model = YOLO(str(trained.weights))
    assert model.task == "classify"
    assert list(model.names.values()) == list(CLASSIFIER_CLASSES)


def test_report_numbers_follow_from_its_held_back_predictions(trained: TrainedRun) -> None:
    report = assert_report_matches_predictions(trained.report_json)
    assert report["images"] == 53  # 16 per class and 5 review moves, each predicted once


def test_every_crop_is_predicted_once_by_the_cross_validation(trained: TrainedRun) -> None:
    report = json.loads(trained.report_json.read_text())
    names = sorted(Path(p["path"]).name for p in report["predictions"])
    labelled = sorted(p.name for p in trained.data.rglob("*.jpg"))
    assert len(names) == len(set(names)) == 53
    assert set(labelled) <= set(names)
    assert [report["per_class"][c]["images"] for c in CLASSIFIER_CLASSES] == [18, 17, 18]
    assert report["train_images"] == {"front": 18, "front_angled": 17, "other": 18}
    # Each of the heads that are the model trained on one fold's other half, balanced: 9 per class.
    assert report["train_images_balanced"] == dict.fromkeys(CLASSIFIER_CLASSES, 9)
    assert (
        "training: 1 x 2-fold cross-validation of the head on 53 crops' features "
        "(the whole crop, resized and on grey), "
        "4 epochs each; the 2 heads of each square are the model"
    ) in trained.result.stdout
    assert report["crop_fit"] == json.loads(trained.calibration_json.read_text())["crop_fit"]
    assert report["crop_fit"] == BOTH


def test_the_calibration_is_a_recount_of_the_held_back_predictions(trained: TrainedRun) -> None:
    report = json.loads(trained.report_json.read_text())
    calibration = json.loads(trained.calibration_json.read_text())
    threshold = calibration["front_conf"]
    clean = [
        p["label"]
        for p in report["predictions"]
        if p["predicted"] == "front" and p["conf"] >= threshold
    ]
    assert calibration["clean"] == len(clean)
    assert calibration["clean_fronts"] == clean.count("front")
    assert calibration["fronts"] == 18
    assert report["front_conf"] == threshold
    assert f"front threshold {threshold:.4f}: expected clean precision" in trained.result.stdout


def test_the_other_threshold_is_a_recount_of_the_held_back_predictions(
    trained: TrainedRun,
) -> None:
    report = json.loads(trained.report_json.read_text())
    calibration = json.loads(trained.calibration_json.read_text())
    predictions = report["predictions"]
    assert all(0.0 <= p["other"] <= 1.0 for p in predictions)  # every prediction carries it
    # the front views run.py keeps whatever the threshold: other under 0.5
    facing = [p for p in predictions if p["label"] != "other" and p["other"] < 0.5]
    assert calibration["front_views"] == len(facing) >= 20
    highest = max(p["other"] for p in facing)
    if len(facing) < MIN_FRONT_VIEWS or highest + 0.0001 >= 0.5:
        assert calibration["other_conf"] is None
        assert "other threshold: none" in trained.result.stdout
        if len(facing) < MIN_FRONT_VIEWS:
            assert f"{MIN_FRONT_VIEWS} needed to set it" in trained.result.stdout
        return
    threshold = calibration["other_conf"]
    assert threshold == round(highest + 0.0001, 4)
    beside = [  # rejected by the threshold alone: not predicted a straight front, under 0.5
        p for p in predictions if p["predicted"] != "front" and threshold <= p["other"] < 0.5
    ]
    assert all(p["label"] == "other" for p in beside)
    assert calibration["other_rejected"] == len(beside)
    assert f"other threshold {threshold:.4f}, just above all {len(facing)}" in trained.result.stdout


def test_training_ends_with_the_command_that_filters_with_it(trained: TrainedRun) -> None:
    # Written elsewhere than models/, where run.py looks by default: the command names it.
    last, note = trained.result.stdout.strip().splitlines()[-2:]
    assert last.startswith("next, filter with it: python ")
    assert "photos already in a set keep it" in note and "Sorting again" in note
    # Trained from the detector's backbone: the command filters with that detector too.
    assert last.endswith(f"--classifier {trained.weights}")
    assert "filtering/run.py --detector " in last


@pytest.mark.parametrize(
    ("labels", "data_option"),
    [
        ("/work/trial/data/labels/ferrari", " --data /work/trial/data "),  # README's layout
        ("data/labels/ferrari", ""),  # run.py's own default data folder
        ("/somewhere/my labels", ""),  # not under a data folder: nothing to name
        ("/my data/labels/ferrari", " --data '/my data' "),
    ],
)
def test_the_filter_command_names_the_data_folder_the_labels_are_in(
    labels: str, data_option: str
) -> None:
    from filtering.train import filter_command

    command = filter_command(Path("models/front_classifier.pt"), Path("det.pt"), Path(labels))
    assert command.endswith("filtering/run.py" + (data_option or " ") + "--detector det.pt")


def test_training_output_is_short_and_ultralytics_goes_to_the_log(trained: TrainedRun) -> None:
    out = trained.result.stdout
    assert "\x1b" not in out and "\r" not in out  # no colour codes, no redrawn bars
    assert len(out.splitlines()) <= 20
    assert "round 1/1, fold 1/2: 4 epochs" in out and "round 1/1, fold 2/2: 4 epochs" in out
    log = trained.out / "front_classifier_training.log"
    assert f"Ultralytics' output (kept once training begins): {log}" in out
    text = log.read_text()
    assert "Transferred" in text and "summary" in text  # Ultralytics' own lines
    assert "Transferred" not in out + trained.result.stderr


def test_the_labelled_folder_is_left_as_it_was(trained: TrainedRun) -> None:
    assert snapshot(trained.data) == trained.snapshot


def test_the_model_learnt_the_shapes(trained: TrainedRun) -> None:
    # Chance is 1/3; the detector's features make the three shapes easy in a few epochs.
    report = json.loads(trained.report_json.read_text())
    assert report["accuracy"] >= 0.66


def test_a_classifier_trained_here_gives_its_backbone_and_new_heads(
    trained: TrainedRun, tmp_path: Path
) -> None:
    """Its heads are an ensemble merged into one: fine-tuning copies of it would merge wider at
    every training, and each copy would have seen the crops it is to be judged on."""
    quick = ("--imgsz", "64", "--epochs", "1", "--folds", "2", "--workers", "0")
    args = ("--data", str(trained.data), "--out", str(tmp_path), "--weights", str(trained.weights))
    before = trained.weights.read_bytes()
    result = run_script("train", tmp_path, *args, *quick)
    assert result.returncode == 0, result.stderr[-3000:]
    said = f"classifier {trained.weights} (its backbone, with new heads: its own are several"
    assert f"starting weights: {said}" in result.stdout
    report = json.loads((tmp_path / "front_classifier_report.json").read_text())
    assert report["starting_weights"].startswith(said)
    assert trained.weights.read_bytes() == before  # the model it started from is left alone
    # Its merged heads do not merge again: the model keeps the width of one fold's heads.
    assert _head_width(tmp_path / "front_classifier.pt") == _head_width(trained.weights) == 2 * 1280


def test_a_classifier_of_one_head_is_fine_tuned_with_a_caution(
    trained: TrainedRun, tmp_path: Path
) -> None:
    import torch
    from ultralytics.nn.modules.head import Classify

    checkpoint = torch.load(trained.weights, weights_only=False)
    own = checkpoint["model"].model[-1]
    single = Classify(own.conv.conv.in_channels, 3)
    for name in ("i", "f", "type", "np"):
        setattr(single, name, getattr(own, name))
    checkpoint["model"].model[-1] = single.half()
    start = tmp_path / "one_head.pt"
    torch.save(checkpoint, start)
    out = tmp_path / "out"
    quick = ("--imgsz", "64", "--epochs", "1", "--folds", "2", "--workers", "0")
    args = ("--data", str(trained.data), "--out", str(out), "--weights", str(start))
    result = run_script("train", tmp_path, *args, *quick)
    assert result.returncode == 0, result.stderr[-3000:]
    caution = "(fine-tuned; if it learnt from these crops, the held-back figures and the thresholds"
    assert f"starting weights: classifier {start} {caution}" in result.stdout
    assert _head_width(out / "front_classifier.pt") == 2 * 1280  # two fold heads of its width


def test_the_same_seed_trains_the_same_model(
    trained: TrainedRun, tmp_path: Path, detector_weights: Path
) -> None:
    args = ("--data", str(trained.data), "--out", str(tmp_path), "--weights", str(detector_weights))
    result = run_script("train", tmp_path, *args, "--reviewed", str(trained.reviewed), *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    again = json.loads((tmp_path / "front_classifier_report.json").read_text())
    first = json.loads(trained.report_json.read_text())
    assert again["predictions"] == first["predictions"]  # same split, same confidences


def _wide_crops(folder: Path) -> Path:
    """The shapes twice as wide as high: each way of making them square sees them otherwise."""
    for path in shape_crops(folder, per_class=12, seed=3).rglob("*.jpg"):
        with Image.open(path) as image:
            wide = image.convert("RGB").resize((128, 64))
        wide.save(path, quality=90)
    return folder


def test_the_crop_fit_chosen_for_training_is_learnt_and_the_one_run_py_uses(
    tmp_path: Path, detector_weights: Path
) -> None:
    data = _wide_crops(tmp_path / "labels")
    confidences = {}
    for fit in (BOTH, PAD, CENTRE):
        out = tmp_path / fit
        args = ("--data", str(data), "--out", str(out), "--weights", str(detector_weights))
        result = run_script("train", tmp_path, *args, *QUICK, "--crop-fit", fit)
        assert result.returncode == 0, result.stderr[-3000:]
        _assert_asked_as_learnt(out / "front_classifier.pt", fit)
        report = json.loads((out / "front_classifier_report.json").read_text())
        assert report["crop_fit"] == fit
        assert report["square_heads"] is (fit == BOTH)  # and for an export, its calibration:
        calibration = json.loads((out / "front_classifier_calibration.json").read_text())
        assert calibration["square_heads"] is (fit == BOTH)
        confidences[fit] = [p["conf"] for p in report["predictions"]]
    # The same crops, folds and seed: only the squares the heads learnt from differ.
    assert confidences[PAD] != confidences[CENTRE]


def _export(weights: Path, calibration: Path, folder: Path) -> Path:
    """An ONNX export of a copy of `weights`, with the calibration file beside the copy."""
    from ultralytics import YOLO

    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "front_classifier.pt"
    shutil.copyfile(weights, copy)
    shutil.copyfile(calibration, calibration_path(copy))
    with warnings.catch_warnings():  # PyTorch's exporter, as Ultralytics drives it, warns
        warnings.simplefilter("ignore")
        exported = Path(YOLO(str(copy)).export(format="onnx", imgsz=64, simplify=False))
    assert calibration_path(exported) == calibration_path(copy)  # found by the stem
    return exported


def test_an_export_of_the_model_is_asked_as_its_calibration_says(
    tmp_path: Path, detector_weights: Path
) -> None:
    """An ONNX export keeps no checkpoint; the calibration file beside it, found by its name,
    says how the model makes a crop square."""
    from filtering.classify import Classifier
    from filtering.settings import FilterSettings

    out = tmp_path / "padded"
    data = shape_crops(tmp_path / "labels", per_class=8)
    args = ("--data", str(data), "--out", str(out), "--weights", str(detector_weights))
    result = run_script("train", tmp_path, *args, *QUICK, "--crop-fit", PAD)
    assert result.returncode == 0, result.stderr[-3000:]
    calibration = out / "front_classifier_calibration.json"
    exported = _export(out / "front_classifier.pt", calibration, tmp_path / "export")
    classifier = Classifier.from_weights(FilterSettings(classifier=exported, classifier_imgsz=64))
    assert classifier.fit == PAD
    assert classifier.describe() == "64 px, the whole crop on grey"
    from filtering.weights import WeightsError

    kept, kept_name = calibration_path(exported).read_bytes(), calibration_path(exported).name
    calibration_path(exported).write_text("{")  # cut short: the way it learnt is unknown
    with pytest.raises(WeightsError) as unreadable:
        Classifier.from_weights(FilterSettings(classifier=exported, classifier_imgsz=64))
    said = str(unreadable.value)
    assert (
        f"{exported} are an export, and its calibration file {calibration_path(exported)}" in said
    )
    assert "cannot be read" in said
    calibration_path(exported).write_bytes(kept)
    assert classifier.caution() is None
    calibration_path(exported).unlink()
    alone = Classifier.from_weights(FilterSettings(classifier=exported, classifier_imgsz=64))
    assert alone.fit == CENTRE  # nothing says otherwise: Ultralytics' own way
    # and the user is warned that nothing does, by run.py and by evaluate.py
    warning = f"{exported} are an export with no calibration file beside them ({kept_name})"
    assert warning in (alone.caution() or "")
    args = ("--weights", str(exported), "--data", str(data), "--imgsz", "64")
    evaluated = run_script("evaluate", tmp_path, *args)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert f"warning: classifier weights {warning}" in evaluated.stderr


def test_an_export_of_a_model_with_a_head_for_each_square_is_refused(
    trained: TrainedRun, tmp_path: Path
) -> None:
    """An export keeps the model's own head only, the first square's: asked both squares by it,
    it would not answer as the calibrated heads did, so run.py says so and which file to give."""
    from filtering.classify import Classifier
    from filtering.settings import FilterSettings
    from filtering.weights import WeightsError

    exported = _export(trained.weights, trained.calibration_json, tmp_path)
    with pytest.raises(WeightsError) as refused:
        Classifier.from_weights(FilterSettings(classifier=exported, classifier_imgsz=64))
    assert str(exported) in str(refused.value)
    original = tmp_path / "front_classifier.pt"  # the .pt it was exported from, beside it
    assert f"an export keeps only the first one: give {original} they" in str(refused.value)
    args = ("--weights", str(exported), "--data", str(trained.data), "--imgsz", "64")
    result = run_script("evaluate", tmp_path, *args)
    assert result.returncode == 2 and "a head for each square" in result.stderr


def _assert_asked_as_learnt(weights: Path, fit: str) -> None:
    """The model says which way it learnt, and run.py's classifier gives what its merged heads
    (with both squares, each square's own) give the cached features of the same crops made
    square that way: the same picture reached both. Made square another way, or with both
    squares asked by one head, the wide real crops get other answers."""
    from ultralytics import YOLO

    from filtering.classify import Classifier
    from filtering.settings import FilterSettings

    paths = sorted((SHARED / "photos" / "lire-ferrari").glob("*/*.jpg"))[::10]
    if not paths:
        pytest.skip("real photos not found")
    network = YOLO(str(weights)).model
    own = network.model[-1]
    heads = square_heads(YOLO(str(weights)), len(fit_parts(fit)))
    assert (heads is not None) == (fit == BOTH)  # a head for each square, and only then
    expected = {}
    for way in FITS:
        features = backbone_features(network, paths, 64, way)
        expected[way] = head_logits(own, features).softmax(-1).mean(1)
    if heads is not None:
        features = backbone_features(network, paths, 64, BOTH)
        shared = expected[BOTH]
        expected[BOTH] = square_logits(heads, features).softmax(-1).mean(1)
        assert (expected[BOTH] - shared).abs().max() > 0.01  # the second head counts
    classifier = Classifier.from_weights(FilterSettings(classifier=weights, classifier_imgsz=64))
    assert classifier.fit == fit
    verdicts = classifier([Image.open(path).convert("RGB") for path in paths])
    names = list(classifier.model.names.values())
    asked = [expected[fit][k, names.index(v.label)] for k, v in enumerate(verdicts)]
    assert [v.conf for v in verdicts] == pytest.approx([float(p) for p in asked], abs=2e-3)
    for other in set(FITS) - {fit}:
        assert (expected[fit] - expected[other]).abs().max() > 0.01


def _head_width(weights: Path) -> int:
    from ultralytics import YOLO

    return int(YOLO(str(weights)).model.model[-1].conv.conv.out_channels)


def test_the_heads_of_every_round_are_the_kept_model(
    trained: TrainedRun, tmp_path: Path, detector_weights: Path
) -> None:
    args = ("--data", str(trained.data), "--out", str(tmp_path), "--weights", str(detector_weights))
    result = run_script("train", tmp_path, *args, *QUICK, "--repeats", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "the 4 heads of each square are the model" in result.stdout
    assert "round 2/2, fold 2/2: 4 epochs" in result.stdout
    assert _head_width(trained.weights) == 2 * 1280  # one Classify head's width per fold head
    assert _head_width(tmp_path / "front_classifier.pt") == 4 * 1280
    report = json.loads((tmp_path / "front_classifier_report.json").read_text())
    names = [Path(p["path"]).name for p in report["predictions"]]
    assert len(names) == len(set(names)) == 48  # each crop once: the mean of its two heads


def test_training_the_backbone_keeps_the_model_trained_on_all_crops(
    trained: TrainedRun, tmp_path: Path, detector_weights: Path
) -> None:
    quick = ("--imgsz", "32", "--epochs", "1", "--folds", "2", "--workers", "0")
    args = ("--data", str(trained.data), "--out", str(tmp_path), "--weights", str(detector_weights))
    result = run_script("train", tmp_path, *args, *quick, "--train-backbone")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2-fold cross-validation, then all 48 crops, 1 epochs each" in result.stdout
    assert "all crops: 1 epochs" in result.stdout
    assert _head_width(tmp_path / "front_classifier.pt") == 1280  # one ordinary head
    from ultralytics import YOLO

    # Ultralytics trains it on its own crops of the pictures, so it is asked with its centre crop.
    assert fit_of(YOLO(str(tmp_path / "front_classifier.pt"))) == CENTRE


def test_a_retraining_keeps_the_model_it_replaces(
    trained: TrainedRun, tmp_path: Path, detector_weights: Path
) -> None:
    old = tmp_path / "front_classifier.pt"
    shutil.copyfile(trained.weights, old)
    shutil.copyfile(calibration_path(trained.weights), calibration_path(old))
    args = ("--data", str(trained.data), "--out", str(tmp_path), "--weights", str(detector_weights))
    result = run_script("train", tmp_path, *args, *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    kept = tmp_path / "front_classifier_previous.pt"
    assert f"the model this training replaces is kept as {kept}" in result.stdout
    assert kept.read_bytes() == trained.weights.read_bytes()
    assert calibration_path(kept).read_text() == calibration_path(trained.weights).read_text()
    assert old.read_bytes() != kept.read_bytes()  # the new model is in place


def _models_in_use(out: Path, trained: TrainedRun) -> dict[str, bytes]:
    """A folder holding a model in use and the one kept before it, each with its calibration;
    every file's bytes by name."""
    out.mkdir()
    shutil.copyfile(trained.weights, out / "front_classifier.pt")
    shutil.copyfile(trained.calibration_json, calibration_path(out / "front_classifier.pt"))
    (out / "front_classifier_previous.pt").write_bytes(b"the model kept before")
    (out / "front_classifier_previous_calibration.json").write_text('{"front_conf": 0.5}\n')
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_a_training_that_fails_changes_neither_model(trained: TrainedRun, tmp_path: Path) -> None:
    before = _models_in_use(tmp_path / "models", trained)
    # No --weights, offline: the default start cannot be had, and training stops.
    args = ("--data", str(trained.data), "--out", str(tmp_path / "models"))
    result = run_script("train", tmp_path, *args, *QUICK)
    assert result.returncode == 2, result.stderr[-3000:]
    after = {p.name: p.read_bytes() for p in (tmp_path / "models").iterdir() if p.suffix != ".log"}
    assert after == before
    assert "replaces is kept" not in result.stdout


def test_a_training_stopped_by_ctrl_c_changes_neither_model(
    trained: TrainedRun, tmp_path: Path, detector_weights: Path
) -> None:
    before = _models_in_use(tmp_path / "models", trained)
    args = ["--data", str(trained.data), "--out", str(tmp_path / "models")]
    args += ["--weights", str(detector_weights), *QUICK, "--epochs", "5000"]  # a long training
    command = [sys.executable, str(REPO_ROOT / "filtering" / "train.py"), *args]
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    with subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as training:
        assert training.stdout is not None
        for line in training.stdout:
            if line.startswith("training:"):
                break
        time.sleep(2)  # into the epochs
        training.send_signal(signal.SIGINT)
        _, stderr = training.communicate(timeout=120)
    assert training.returncode == 130, stderr[-3000:]
    assert "stopped: the training did not finish" in stderr
    assert "Traceback" not in stderr
    after = {p.name: p.read_bytes() for p in (tmp_path / "models").iterdir() if p.suffix != ".log"}
    assert after == before  # the unfinished model is gone too


def test_both_squares_are_the_views_of_each_single_way(trained: TrainedRun) -> None:
    """With both squares a crop's views are the stretched ones, then the padded ones, each as it
    is and mirrored: the same features each way gives alone."""
    import torch
    from ultralytics import YOLO

    paths = sorted((SHARED / "photos" / "lire-ferrari").glob("*/*.jpg"))[::25]
    if not paths:
        pytest.skip("real photos not found")
    network = YOLO(str(trained.weights)).model
    both = backbone_features(network, paths, 64, BOTH)
    assert both.shape[:2] == (len(paths), 4)
    # Close, not equal: a batch twice as large may sum in another order.
    assert torch.allclose(both[:, :2], backbone_features(network, paths, 64, STRETCH), atol=1e-4)
    assert torch.allclose(both[:, 2:], backbone_features(network, paths, 64, PAD), atol=1e-4)


def test_a_classifier_with_one_head_for_both_squares_is_still_asked_by_it(
    trained: TrainedRun, tmp_path: Path
) -> None:
    """Classifiers trained before each square had a head of its own hold one head: run.py asks it
    both squares, as it learnt. Heads that do not match the squares recorded are refused."""
    import torch

    from filtering.classify import Classifier
    from filtering.crop_fit import FIT_KEY
    from filtering.settings import FilterSettings
    from filtering.square_heads import HEADS_KEY
    from filtering.weights import WeightsError

    checkpoint = torch.load(trained.weights, weights_only=False)
    assert len(checkpoint[HEADS_KEY]) == 1  # the second square's; the model's own is the first's
    one_head = tmp_path / "one_head.pt"
    torch.save({k: v for k, v in checkpoint.items() if k != HEADS_KEY}, one_head)
    classifier = Classifier.from_weights(FilterSettings(classifier=one_head, classifier_imgsz=64))
    assert classifier.fit == BOTH and classifier.heads is None
    assert classifier.describe() == "64 px, the whole crop, resized and on grey"
    # Beside it, the calibration of a model with a head for each square belongs to other weights,
    # and so does that of a model that sees a crop another way.
    shutil.copyfile(trained.calibration_json, calibration_path(one_head))
    other = "belongs to other weights (it is of a model that sees a crop as 'stretch+pad' with a"
    with pytest.raises(WeightsError, match=re.escape(other)):
        Classifier.from_weights(FilterSettings(classifier=one_head, classifier_imgsz=64))
    calibration = json.loads(trained.calibration_json.read_text())
    mine = tmp_path / "mine.pt"
    shutil.copyfile(trained.weights, mine)
    calibration_path(mine).write_text(json.dumps({**calibration, "crop_fit": STRETCH}))
    with pytest.raises(
        WeightsError, match=re.escape("as 'stretch' with a head for each square; these")
    ):
        Classifier.from_weights(FilterSettings(classifier=mine, classifier_imgsz=64))
    shutil.copyfile(trained.calibration_json, calibration_path(mine))  # its own: fine
    assert Classifier.from_weights(FilterSettings(classifier=mine, classifier_imgsz=64)).heads
    mismatched = tmp_path / "mismatched.pt"
    torch.save({**checkpoint, FIT_KEY: STRETCH}, mismatched)
    refused = "hold heads for 2 squares of a crop, but say they were trained on 1"
    with pytest.raises(WeightsError, match=refused):
        Classifier.from_weights(FilterSettings(classifier=mismatched, classifier_imgsz=64))
