"""The command line: both ways to start it, the models it picks, and bad input named clearly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from filtering.classify import Verdict, route
from filtering.records import read_records
from tests.filter.scenes import REPO_ROOT, bus_scene, empty_scene, raw_folder, run_filtering


def _tiny_raw(data: Path, model: str, bus_photo: Path) -> None:
    raw = data / "raw" / model
    raw.mkdir(parents=True)
    bus_scene(bus_photo).save(raw / "bus.jpg")
    empty_scene(1).save(raw / "nothing.jpg")


def test_python_dash_m_from_the_repository_root(
    tmp_path: Path, bus_photo: Path, detector_weights: Path
) -> None:
    _tiny_raw(tmp_path / "data", "one", bus_photo)
    command = [sys.executable, "-m", "filtering.run", "--data", str(tmp_path / "data")]
    command += ["--detector", str(detector_weights)]
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env={**os.environ, "YOLO_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    # Placed in a set (which one depends on whether the checkout holds a trained classifier).
    assert list((tmp_path / "data" / "final" / "one").glob("*/bus.jpg"))


def test_every_model_folder_or_the_chosen_ones(
    tmp_path: Path, bus_photo: Path, detector_weights: Path
) -> None:
    for model in ("one", "two", "three"):
        _tiny_raw(tmp_path / "data", model, bus_photo)
    done = run_filtering(
        tmp_path, "--detector", str(detector_weights), "--model", "two", "--model", "one"
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "data" / "final").iterdir()) == ["one", "two"]
    done = run_filtering(tmp_path, "--detector", str(detector_weights))
    assert done.returncode == 0, done.stderr
    assert "== three" in done.stdout and "== one\nnothing new to process" in done.stdout


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("none", [], "no raw images: data/raw is not a folder"),
        ("empty_raw", [], "no model folders under data/raw"),
        (
            "one",
            ["--model", "range-rover"],
            "unknown model 'range-rover': not a folder under data/raw (one)",
        ),
        ("one", ["--model", "../one"], "unknown model '../one'"),
        (
            "one",
            ["--detector", "weights/missing.pt"],
            "detector weights not found: weights/missing.pt",
        ),
        ("one", ["--classifier", "DETECTOR"], "are a detect model, not a classify model"),
        # The default name, offline: the download fails, and the way round it is named.
        ("one", ["--detector", "yolov8n.pt"], "name a weights file on disk with --detector FILE"),
        ("one", ["--classifier", "models/typo.pt"], "classifier weights not found: models/typo.pt"),
        ("one", ["--detector", "data/raw/one/bus.jpg"], "bus.jpg are no YOLO weights"),
        ("one", ["--device", "cuda:7"], "--device 'cuda:7': PyTorch sees"),
        ("one", ["--batch", "0"], "argument --batch: must be an integer >= 1, got '0'"),
        ("one", ["--workers", "0"], "argument --workers: must be an integer >= 1, got '0'"),
        ("one", ["--front-conf", "2"], "argument --front-conf: must be a number >= 0 and <= 1"),
        ("one", ["--jpeg-quality", "500"], "--jpeg-quality: must be an integer >= 1 and <= 100"),
        ("one", ["--near-duplicate-distance", "x"], "--near-duplicate-distance: must be an"),
        (
            "one",
            ["--detector-imgsz", "400"],
            "--detector-imgsz: must be a multiple of 32, got '400' (the nearest: 384 or 416)",
        ),
        ("one", ["--detector-runtime", "tensorrt"], "--detector-runtime: invalid choice"),
        # Ultralytics opens an export only at its first prediction: that must come before work.
        (
            "broken_export",
            ["--classifier", "weights/broken.torchscript"],
            "classifier weights weights/broken.torchscript cannot be run: ",
        ),
        # An ONNX file is read at once: no ONNX model, or an export of another task.
        (
            "broken_export",
            ["--detector", "weights/broken.onnx"],
            "detector weights weights/broken.onnx cannot be loaded: not an ONNX model (",
        ),
        (
            "broken_export",
            ["--classifier", "weights/broken.onnx"],
            "classifier weights weights/broken.onnx cannot be loaded: not an ONNX model (",
        ),
        ("one", ["--classifier", "ONNX_DETECTOR"], "are a detect model, not a classify model"),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(
    tmp_path: Path,
    bus_photo: Path,
    detector_weights: Path,
    onnx_detector_weights: Path,
    setup: str,
    args: list[str],
    message: str,
) -> None:
    if setup == "empty_raw":
        (tmp_path / "data" / "raw").mkdir(parents=True)
    elif setup in ("one", "broken_export"):
        _tiny_raw(tmp_path / "data", "one", bus_photo)
    if setup == "broken_export":
        (tmp_path / "weights").mkdir()
        for name in ("broken.onnx", "broken.torchscript"):
            (tmp_path / "weights" / name).write_bytes(b"not a model, cut short")
    given = {"DETECTOR": str(detector_weights), "ONNX_DETECTOR": str(onnx_detector_weights)}
    args = [given.get(a, a) for a in args]
    done = run_filtering(tmp_path, "--detector", str(detector_weights), *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert "No front-facing classifier" not in done.stdout  # only the error, nothing before it
    assert not (tmp_path / "data" / "final").exists()


@pytest.mark.parametrize(
    ("photos", "said", "filtered"),
    [
        ([], "no images in data/raw/m: nothing to do", []),
        # Photos sorted into views: the layout is flat, and the run says where they must be.
        (
            ["front/a.jpg", "front/b.jpg", "side/c.jpg", ".hidden.jpg"],
            "no images in data/raw/m: its 2 sub-folders (front/, side/) are not searched; its "
            "hidden file .hidden.jpg is not read (a name starting with '.' is hidden); put the "
            "photos directly in data/raw/m",
            [],
        ),
        (
            ["bus.jpg", "sub/bus.jpg", ".hidden.jpg"],
            "ignored in data/raw/m: its sub-folder sub/ is not searched; its hidden file "
            ".hidden.jpg is not read (a name starting with '.' is hidden)",
            ["raw/m/bus.jpg"],
        ),
    ],
)
def test_what_a_model_folder_holds_that_is_not_read_is_named(
    tmp_path: Path,
    bus_photo: Path,
    detector_weights: Path,
    photos: list[str],
    said: str,
    filtered: list[str],
) -> None:
    raw = tmp_path / "data" / "raw" / "m"
    raw.mkdir(parents=True)
    for name in photos:
        (raw / name).parent.mkdir(exist_ok=True)
        bus_scene(bus_photo).save(raw / name)
    done = run_filtering(tmp_path, "--detector", str(detector_weights))
    assert done.returncode == 0, done.stderr
    assert said in done.stdout.splitlines()
    records = tmp_path / "data" / "final" / "m" / "records.jsonl"
    assert [r["source"] for r in read_records(records).by_id.values()] == filtered


def test_a_trained_classifier_is_picked_up_and_sorts_what_waited(
    tmp_path: Path, bus_photo: Path, detector_weights: Path, tiny_classifier: Path
) -> None:
    raw_folder(bus_photo, tmp_path / "data" / "raw" / "bus")
    first = run_filtering(tmp_path, "--detector", str(detector_weights))
    assert first.returncode == 0
    assert "waited in to_label/" not in first.stdout  # it made them wait
    final = tmp_path / "data" / "final" / "bus"
    waiting = sorted(p.stem for p in (final / "to_label").iterdir())
    assert len(waiting) == 2
    (tmp_path / "models").mkdir()
    shutil.copyfile(tiny_classifier, tmp_path / "models" / "front_classifier.pt")  # the default
    with Image.open(bus_photo) as photo:  # and a new photo, which starts from load
        ImageOps.mirror(photo).save(tmp_path / "data" / "raw" / "bus" / "mirrored.jpg")
    done = run_filtering(tmp_path, "--detector", str(detector_weights))
    assert done.returncode == 0, done.stderr
    assert "No front-facing classifier" not in done.stderr
    # The stage table counts them from load on: the run says they were only classified now.
    said = "2 of them waited in to_label/ for a classifier: an earlier run loaded and detected"
    assert said in done.stdout
    assert "; 1 more, new or left unfinished by a stopped run, started from load" in done.stdout
    records = read_records(final / "records.jsonl").by_id
    assert list((final / "to_label").iterdir()) == []
    for image_id in waiting:
        record = records[image_id]
        verdict = Verdict(
            record["classifier_label"], record["classifier_conf"], record["classifier_other"]
        )
        fate, _ = route(verdict, 0.80)
        assert record["fate"] == fate
        if fate != "rejected":
            assert (final / fate / f"{image_id}.jpg").exists()
    assert {records[i]["classifier_label"] for i in waiting} == {"front"}  # colour bus crops
    # The run names the thresholds it applies: this classifier has no calibration beside it.
    assert (
        "clean at front >= 0.8 (default); a crop is rejected at other >= 0.5 (no other threshold)"
    ) in done.stdout
    again = run_filtering(tmp_path, "--detector", str(detector_weights))
    assert "nothing new to process\n" in again.stdout
    # A threshold given to a run with nothing new is not silently ignored.
    given = run_filtering(tmp_path, "--detector", str(detector_weights), "--other-conf", "0.3")
    assert "nothing new to process: --front-conf and --other-conf apply to photos" in given.stdout
    assert "one that is not a straight front at other >= 0.3 (given)" in given.stdout


def test_an_export_of_fixed_size_is_said_to_run_at_it_and_quietly(
    tmp_path: Path, bus_photo: Path, onnx_detector_weights: Path
) -> None:
    _tiny_raw(tmp_path / "data", "one", bus_photo)
    done = run_filtering(tmp_path, "--detector", str(onnx_detector_weights))
    assert done.returncode == 0, done.stderr[-2000:]
    first = done.stdout.splitlines()[0]
    assert first == (
        f"detector {onnx_detector_weights}: 640 px (fixed by the export: --detector-imgsz 416 "
        "does not apply), ONNX Runtime"
    )
    assert "for ONNX Runtime inference" not in done.stdout + done.stderr
