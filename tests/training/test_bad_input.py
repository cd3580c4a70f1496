"""Bad input to train.py and evaluate.py: one clear line naming the bad thing, exit code 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from filtering import evaluate, train
from tests.training.conftest import TrainedRun, run_script
from tests.training.crops import shape_crops


def fails(capsys: pytest.CaptureFixture[str], main: object, *argv: str) -> str:
    assert main(list(argv)) == 2  # type: ignore[operator]
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    return err


@pytest.fixture
def labels(tmp_path: Path) -> Path:
    return shape_crops(tmp_path / "labels", per_class=3)


def test_a_missing_data_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = fails(capsys, train.main, "--data", str(tmp_path / "nowhere"))
    assert f"labelled folder not found: {tmp_path / 'nowhere'}" in err


def test_a_missing_class_folder(capsys: pytest.CaptureFixture[str], labels: Path) -> None:
    shutil.rmtree(labels / "front_angled")
    err = fails(capsys, train.main, "--data", str(labels))
    assert f"no readable images for class front_angled: {labels / 'front_angled'}/" in err


def test_an_empty_class_folder(capsys: pytest.CaptureFixture[str], labels: Path) -> None:
    for path in (labels / "other").iterdir():
        path.unlink()
    assert "no readable images for class other" in fails(capsys, train.main, "--data", str(labels))


def test_an_ultralytics_layout_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    shape_crops(tmp_path / "labels" / "train", per_class=2)
    shape_crops(tmp_path / "labels" / "val", per_class=2)
    err = fails(capsys, train.main, "--data", str(tmp_path / "labels"))
    assert "found folders train, val instead" in err


def test_more_folds_than_crops_is_named_before_any_training(
    capsys: pytest.CaptureFixture[str], labels: Path
) -> None:
    crops = sum(1 for _ in labels.rglob("*.jpg"))
    err = fails(capsys, train.main, "--data", str(labels), "--folds", str(crops + 1))
    assert f"--folds {crops + 1} is more than the {crops} labelled crops" in err
    assert not (labels.parent / "models").exists()  # nothing was trained or written


def test_too_few_images_to_split(capsys: pytest.CaptureFixture[str], labels: Path) -> None:
    for path in sorted((labels / "front").iterdir())[1:]:
        path.unlink()
    err = fails(capsys, train.main, "--data", str(labels))
    assert "too few images: class front has 1 readable image(s)" in err


def test_unreadable_images_leaving_too_few(
    capsys: pytest.CaptureFixture[str], labels: Path
) -> None:
    broken = sorted((labels / "front").iterdir())[1:]
    for path in broken:
        path.write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    assert train.main(["--data", str(labels)]) == 2
    captured = capsys.readouterr()
    assert "too few images: class front has 1 readable image(s)" in captured.err
    assert "skipped 2 unreadable image(s):" in captured.out
    assert all(f"{path}: unreadable: " in captured.out for path in broken)


def test_starting_weights_missing(capsys: pytest.CaptureFixture[str], labels: Path) -> None:
    err = fails(capsys, train.main, "--data", str(labels), "--weights", "nowhere/yolo.pt")
    assert "starting weights not found: nowhere/yolo.pt" in err


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.pt", "garbage\n", "cannot be loaded: not a PyTorch checkpoint"),
        ("empty.pt", "", "cannot be loaded: the file is empty"),
        ("README.md", "# notes, not weights\n", "are not YOLO weights"),
    ],
)
def test_starting_weights_that_cannot_be_used(
    capsys: pytest.CaptureFixture[str],
    labels: Path,
    tmp_path: Path,
    name: str,
    content: str,
    message: str,
) -> None:
    (tmp_path / name).write_text(content)
    out = ("--out", str(tmp_path / "new" / "models"))
    err = fails(capsys, train.main, "--data", str(labels), "--weights", str(tmp_path / name), *out)
    assert f"starting weights {tmp_path / name} {message}" in err
    assert len(err.strip().splitlines()) == 1  # the one line, without Ultralytics' advice
    assert not (tmp_path / "new").exists()  # no --out folder, no empty log in it


def test_a_training_that_fails_before_it_trains_leaves_no_empty_log(
    capsys: pytest.CaptureFixture[str], labels: Path, tmp_path: Path
) -> None:
    out = tmp_path / "models"
    out.mkdir()
    (out / "front_classifier.pt").write_bytes(b"the model in use")
    # No --weights, offline: the default start cannot be had, and training stops.
    err = fails(capsys, train.main, "--data", str(labels), "--out", str(out))
    assert "the default starting weights yolov8n-cls.pt could not be had" in err
    assert sorted(p.name for p in out.iterdir()) == ["front_classifier.pt"]


def test_a_gpu_that_is_not_there(capsys: pytest.CaptureFixture[str], labels: Path) -> None:
    err = fails(capsys, train.main, "--data", str(labels), "--device", "cuda:7")
    assert "--device 'cuda:7': PyTorch sees" in err


def test_evaluate_with_a_detector(
    capsys: pytest.CaptureFixture[str], labels: Path, detector_weights: Path
) -> None:
    err = fails(capsys, evaluate.main, "--data", str(labels), "--weights", str(detector_weights))
    assert f"{detector_weights} are a detect model, not a classify model" in err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("folder", "are no YOLO weights: expected a .pt file or an export"),
        ("cut.onnx", "cannot be loaded: not an ONNX model ("),
        ("cut.torchscript", "cannot be run: "),
    ],
)
def test_evaluate_with_weights_that_cannot_be_used(
    capsys: pytest.CaptureFixture[str], labels: Path, tmp_path: Path, name: str, message: str
) -> None:
    """Named in one line before any prediction, as run.py names them."""
    weights = tmp_path / name
    if name == "folder":
        weights.mkdir()
    else:
        weights.write_bytes(b"not a model, cut short")
    err = fails(capsys, evaluate.main, "--data", str(labels), "--weights", str(weights))
    assert f"classifier weights {weights} {message}" in err
    assert "Traceback" not in err


def test_evaluate_without_weights(capsys: pytest.CaptureFixture[str], labels: Path) -> None:
    err = fails(capsys, evaluate.main, "--data", str(labels), "--weights", "models/none.pt")
    assert "classifier weights not found: models/none.pt" in err


def test_evaluate_a_folder_without_images(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, trained: TrainedRun
) -> None:
    (tmp_path / "front").mkdir()
    err = fails(capsys, evaluate.main, "--data", str(tmp_path), "--weights", str(trained.weights))
    assert f"no readable images in {tmp_path}/<class>/" in err


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--precision", "1.5", "is not a fraction strictly between 0 and 1"),
        ("--precision", "1", "is not a fraction strictly between 0 and 1"),
        ("--folds", "1", "is not a whole number of at least 2"),
        ("--epochs", "0", "is not a whole number of at least 1"),
        ("--imgsz", "big", "is not a whole number of at least 1"),
    ],
)
def test_bad_options(
    capsys: pytest.CaptureFixture[str], labels: Path, flag: str, value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        train.main(["--data", str(labels), flag, value])
    assert exit_.value.code == 2
    assert f"{flag}: '{value}' {message}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--crop-fit", "crop"],
            ["--crop-fit: invalid choice: 'crop'", "stretch", "pad", "centre"],
        ),
        (["--crop-fit", "pad", "--train-backbone"], ["--crop-fit is for the head alone"]),
    ],
)
def test_a_crop_fit_that_cannot_be_used(
    capsys: pytest.CaptureFixture[str], labels: Path, args: list[str], said: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        train.main(["--data", str(labels), *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert all(part in err for part in said), err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--data", "nowhere"], "nowhere"),  # a folder
        (["--data", "labels", "--epochs", "many"], "--epochs"),  # an option's value
        (["--data", "labels", "--weights", "none.pt"], "none.pt"),  # starting weights
        (["--data", "labels", "--reviewed", "final/x"], "final/x/records.jsonl"),  # a review
    ],
)
def test_each_kind_of_bad_input_ends_the_command_with_its_name(
    tmp_path: Path, args: list[str], named: str
) -> None:
    shape_crops(tmp_path / "labels", per_class=3)
    result = run_script("train", tmp_path, *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert named in result.stderr.strip().splitlines()[-1]


def test_ctrl_c_outside_a_training_says_only_that_it_stopped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from filtering.arguments import INTERRUPTED
    from filtering.training.cli import TrainingStopped, guarded

    def stopped_by(signal: BaseException) -> str:
        def main() -> int:
            raise signal

        assert guarded(main) == INTERRUPTED
        return capsys.readouterr().err.strip()

    # evaluate.py shares the guard: its Ctrl-C must not speak of a training.
    assert stopped_by(KeyboardInterrupt()) == "stopped"
    assert stopped_by(TrainingStopped()).startswith("stopped: the training did not finish")
    # Stopped while its files took their places: they were put in place first.
    assert stopped_by(TrainingStopped(Path("models/front_classifier.pt"))) == (
        "stopped: the training had come to its end and its files are in place, its model "
        "models/front_classifier.pt"
    )
