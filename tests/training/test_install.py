"""Putting a finished training in place: one step that a kill at any moment leaves either not
begun or finished by whoever next uses the folder (run.py's loader, evaluate.py, train.py).

The on-disk state of "killed after step k" is built with the install's own steps on real files
(a real model in use, a real new model), then finished the way each user of the folder does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from filtering import evaluate, train
from filtering.classes import CLASSIFIER_CLASSES
from filtering.crop_fit import BOTH
from filtering.settings import FilterSettings
from filtering.training.calibration import Calibration, write_calibration
from filtering.training.install import (
    JOURNAL_NAME,
    InstallError,
    Step,
    finish_pending,
    journal_path,
    write_journal,
)
from filtering.training.metrics import score
from filtering.training.predict import Prediction
from filtering.training.previous import put_in_place, stage
from filtering.training.report import Evaluation
from filtering.training.settings import TrainSettings
from tests.training.conftest import QUICK, REPO_ROOT, TrainedRun

OLD_FRONT_CONF, NEW_FRONT_CONF = 0.9108, 0.8891
STEPS = [
    "previous calibration removed",
    "previous model",
    "previous calibration",
    "calibration removed",
    "model",
    "calibration",
    "report numbers",
    "report page",
]
Files = dict[str, bytes]


def _calibration(front_conf: float) -> Calibration:
    # of the trained model these tests install: both squares, a head for each
    calibration = Calibration(front_conf, 0.98, 1.0, 0.5, 2, 2, 4, False, 0.4, crop_fit=BOTH)
    return replace(calibration, square_heads=True)


def _evaluation() -> Evaluation:
    predictions = [
        Prediction(Path(f"{label}_{k}.jpg"), label, label, 0.95, 0.9 if label == "other" else 0.02)
        for label in CLASSIFIER_CLASSES
        for k in range(3)
    ]
    facts = {"title": "held-back predictions", "front_conf": NEW_FRONT_CONF}
    return Evaluation(
        "held-back predictions", facts, score(predictions, CLASSIFIER_CLASSES), predictions, []
    )


@pytest.fixture(scope="module")
def new_model(trained: TrainedRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real classifier whose bytes differ from the one in use: the trained one, saved again."""
    import torch

    checkpoint = torch.load(trained.weights, weights_only=False)
    checkpoint["date"] = "the new training"
    path = tmp_path_factory.mktemp("new") / "front_classifier.pt"
    torch.save(checkpoint, path)
    return path


def _in_use(out: Path, trained: TrainedRun) -> Files:
    """A folder in use: a model with its calibration and report, and the model kept before it."""
    out.mkdir(parents=True)
    weights = out / "front_classifier.pt"
    shutil.copyfile(trained.weights, weights)
    write_calibration(weights, _calibration(OLD_FRONT_CONF))
    (out / "front_classifier_report.json").write_text(json.dumps({"front_conf": OLD_FRONT_CONF}))
    (out / "front_classifier_report.html").write_text("<p>the old report</p>")
    (out / "front_classifier_previous.pt").write_bytes(b"the model kept before")
    (out / "front_classifier_previous_calibration.json").write_text('{"front_conf": 0.5}\n')
    return files(out)


def files(folder: Path) -> Files:
    """Every file of `folder`, temporaries and journal included, by name."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _staged(out: Path, trained: TrainedRun, new_model: Path) -> list[Step]:
    """A training that has come to its end in `out`: its model written, every other file of its
    install written under its temporary name; the install's steps."""
    settings = TrainSettings(data=trained.data, out=out)
    shutil.copyfile(new_model, settings.staged_weights_path)
    return stage(settings, _calibration(NEW_FRONT_CONF), _evaluation())


@pytest.fixture(scope="module")
def installed(
    trained: TrainedRun, new_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Files, Files]:
    """The folder before a training and after its install went through without a kill."""
    out = tmp_path_factory.mktemp("whole") / "models"
    before = _in_use(out, trained)
    settings = TrainSettings(data=trained.data, out=out)
    shutil.copyfile(new_model, settings.staged_weights_path)
    done = put_in_place(settings, _calibration(NEW_FRONT_CONF), _evaluation())
    assert done.kept == out / "front_classifier_previous.pt" and not done.stopped
    return before, files(out)


def killed_after(
    done: int, out: Path, trained: TrainedRun, new_model: Path, journal: str | None = None
) -> Files:
    """The folder of a training killed once its journal was written and `done` steps were done
    (`journal`: that file's content instead of the one written)."""
    _in_use(out, trained)
    steps = _staged(out, trained, new_model)
    write_journal(out, out / "front_classifier.pt", steps)
    for step in steps[:done]:
        step.apply(out)
    if journal is not None:
        journal_path(out).write_text(journal)
    return files(out)


def test_the_whole_install_replaces_every_file_and_keeps_the_model_it_replaces(
    installed: tuple[Files, Files], new_model: Path
) -> None:
    before, after = installed
    assert sorted(after) == sorted(before)  # no temporary, no journal left
    assert after["front_classifier.pt"] == new_model.read_bytes()
    assert after["front_classifier_previous.pt"] == before["front_classifier.pt"]
    previous = "front_classifier_previous_calibration.json"
    assert after[previous] == before["front_classifier_calibration.json"]
    calibration = json.loads(after["front_classifier_calibration.json"])
    report = json.loads(after["front_classifier_report.json"])
    assert calibration["front_conf"] == report["front_conf"] == NEW_FRONT_CONF
    assert b"held-back predictions" in after["front_classifier_report.html"]


@pytest.mark.parametrize("done", range(len(STEPS) + 1), ids=["journal", *STEPS])
def test_a_kill_after_any_step_is_finished_by_the_next_user(
    done: int,
    tmp_path: Path,
    trained: TrainedRun,
    new_model: Path,
    installed: tuple[Files, Files],
) -> None:
    before, after = installed
    out = tmp_path / "models"
    state = killed_after(done, out, trained, new_model)
    # At no step are the new weights beside the old model's threshold.
    old_calibration = before["front_classifier_calibration.json"]
    new_weights = state["front_classifier.pt"] == new_model.read_bytes()
    assert not (new_weights and state.get("front_classifier_calibration.json") == old_calibration)
    journal = journal_path(out).read_text()
    finished = finish_pending(out)
    assert finished is not None
    assert finished.left == len(STEPS) - done and finished.steps == len(STEPS)
    assert files(out) == after
    assert f"{out / 'front_classifier.pt'} is its model" in finished.describe()
    assert finish_pending(out) is None  # nothing left to do
    # Killed after its last step, before its journal went: finished again, nothing changes.
    journal_path(out).write_text(journal)
    again = finish_pending(out)
    assert again is not None and again.left == 0
    assert files(out) == after


def test_the_steps_take_the_old_threshold_away_before_the_new_weights_come(
    tmp_path: Path, trained: TrainedRun, new_model: Path
) -> None:
    out = tmp_path / "models"
    _in_use(out, trained)
    steps = _staged(out, trained, new_model)
    assert [step.name for step in steps] == STEPS
    removed, model, calibration = steps[3:6]
    assert removed.target == calibration.target == "front_classifier_calibration.json"
    assert removed.while_there == model.source == "front_classifier_in_training.pt"


def test_a_first_training_killed_during_its_install_is_finished_and_keeps_nothing(
    tmp_path: Path, trained: TrainedRun, new_model: Path
) -> None:
    out = tmp_path / "models"
    out.mkdir()
    steps = _staged(out, trained, new_model)
    assert [step.name for step in steps] == STEPS[3:]  # no model in use: none to keep
    write_journal(out, out / "front_classifier.pt", steps)
    steps[1].apply(out)  # the model is in place, its calibration not yet
    assert finish_pending(out) is not None
    assert sorted(files(out)) == [
        "front_classifier.pt",
        "front_classifier_calibration.json",
        "front_classifier_report.html",
        "front_classifier_report.json",
    ]
    calibration = json.loads((out / "front_classifier_calibration.json").read_text())
    assert calibration["front_conf"] == NEW_FRONT_CONF


def test_a_kill_before_the_journal_changes_nothing_and_the_next_training_clears_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, trained: TrainedRun, new_model: Path
) -> None:
    out = tmp_path / "models"
    before = _in_use(out, trained)
    _staged(out, trained, new_model)  # every file written, no journal: not committed
    assert {k: v for k, v in files(out).items() if k in before} == before
    assert finish_pending(out) is None
    # The next training, even one that stops at once on its data, removes what was left.
    assert train.main(["--data", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    said = capsys.readouterr().out
    assert f"removed what a training that did not finish left in {out}: " in said
    assert "front_classifier_in_training.pt, .front_classifier_calibration.json.install" in said
    assert files(out) == before


@pytest.mark.parametrize("done", [3, 4, 5])  # the calibration removed; the model; its calibration
def test_run_py_finishes_the_install_before_it_reads_the_classifier(
    capsys: pytest.CaptureFixture[str],
    done: int,
    tmp_path: Path,
    trained: TrainedRun,
    new_model: Path,
    detector_weights: Path,
    installed: tuple[Files, Files],
) -> None:
    from filtering.models import load_models

    out = tmp_path / "models"
    killed_after(done, out, trained, new_model)
    classifier = out / "front_classifier.pt"
    settings = FilterSettings(
        data=tmp_path / "data",
        detector=str(detector_weights),
        detector_runtime="pytorch",
        classifier=classifier,
    )
    models = load_models(settings)
    said = capsys.readouterr().out
    assert models.classify is not None
    assert f"finished putting in place a training that was stopped during it: {classifier}" in said
    assert f"clean at front >= {NEW_FRONT_CONF:g} (the calibration of" in said
    assert files(out) == installed[1]


def test_train_py_and_evaluate_py_finish_the_install_first(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    trained: TrainedRun,
    new_model: Path,
    installed: tuple[Files, Files],
) -> None:
    nowhere = str(tmp_path / "nowhere")  # each stops at once on its data, after finishing
    for k, (main, args) in enumerate(
        [
            (train.main, ["--out", "{out}"]),
            (evaluate.main, ["--weights", "{out}/front_classifier.pt"]),
        ]
    ):
        out = tmp_path / f"models{k}"
        killed_after(2, out, trained, new_model)
        assert main(["--data", nowhere, *(a.format(out=out) for a in args)]) == 2
        said = capsys.readouterr()
        assert "finished putting in place a training that was stopped during it" in said.out
        assert "removed what" not in said.out  # its temporaries were renamed, not left over
        assert files(out) == installed[1]


@pytest.mark.parametrize(
    ("journal", "why"),
    [
        ('{"format": "scars install journal 1", "model": "front_cl', "JSONDecodeError"),
        ("", "JSONDecodeError"),
        ('{"format": "another", "model": "front_classifier.pt", "steps": []}', "not a journal"),
        (
            '{"format": "scars install journal 1", "model": "front_classifier.pt", "steps": []}',
            "no model or no steps",
        ),
        (
            '{"format": "scars install journal 1", "model": "front_classifier.pt", "steps": '
            '[{"name": "model", "source": "front_classifier_in_training.pt", '
            '"target": "../x.pt"}]}',
            "a step that is no rename or removal beside it",
        ),
    ],
    ids=["torn", "empty", "other format", "no steps", "a path outside"],
)
def test_a_journal_that_cannot_be_read_is_named_and_nothing_is_changed(
    capsys: pytest.CaptureFixture[str],
    journal: str,
    why: str,
    tmp_path: Path,
    trained: TrainedRun,
    new_model: Path,
    detector_weights: Path,
) -> None:
    from filtering.models import load_models

    out = tmp_path / "models"
    state = killed_after(2, out, trained, new_model, journal=journal)
    path = out / JOURNAL_NAME
    with pytest.raises(InstallError) as error:
        finish_pending(out)
    assert f"install journal {path} cannot be read ({why}" in str(error.value)
    assert "nothing has been changed; delete it to use the folder as it is" in str(error.value)
    settings = FilterSettings(
        detector=str(detector_weights), detector_runtime="pytorch", classifier=out / "x.pt"
    )
    with pytest.raises(InstallError):
        load_models(settings)  # run.py says `error: ` and the message, exit code 2
    nowhere = str(tmp_path / "nowhere")
    assert train.main(["--data", nowhere, "--out", str(out)]) == 2
    assert evaluate.main(["--data", nowhere, "--weights", str(out / "front_classifier.pt")]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors == [f"error: {error.value}"] * 2
    assert files(out) == state


def _kill_at(line: str, out: Path, trained: TrainedRun, detector_weights: Path) -> list[str]:
    """`train.py` into `out`, killed (SIGKILL) as soon as it prints a line starting `line`."""
    args = ["--data", str(trained.data), "--out", str(out), "--weights", str(detector_weights)]
    command = [sys.executable, "-u", str(REPO_ROOT / "filtering" / "train.py"), *args, *QUICK]
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    seen = []
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as training:
        assert training.stdout is not None
        for said in training.stdout:
            seen.append(said)
            if said.startswith(line):
                training.kill()
                break
        training.wait(timeout=60)
    assert seen[-1].startswith(line), "".join(seen)[-3000:]
    return seen


def test_killed_once_it_says_the_model_it_replaces_is_kept_all_of_it_is_in_place(
    tmp_path: Path, trained: TrainedRun, detector_weights: Path
) -> None:
    out = tmp_path / "models"
    before = _in_use(out, trained)
    _kill_at("the model this training replaces is kept as", out, trained, detector_weights)
    after = {k: v for k, v in files(out).items() if not k.endswith(".log")}
    assert sorted(after) == sorted(before)  # no journal, no temporary: nothing is left to do
    calibration = json.loads(after["front_classifier_calibration.json"])
    report = json.loads(after["front_classifier_report.json"])
    assert (report["front_conf"], report["other_conf"]) == (
        calibration["front_conf"],
        calibration["other_conf"],
    )
    assert calibration["front_conf"] != OLD_FRONT_CONF
    assert after["front_classifier_previous.pt"] == before["front_classifier.pt"]
    previous = after["front_classifier_previous_calibration.json"]
    assert previous == before["front_classifier_calibration.json"]


def test_killed_once_trained_the_folder_is_the_old_one_or_the_new_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, trained: TrainedRun, detector_weights: Path
) -> None:
    out = tmp_path / "models"
    before = _in_use(out, trained)
    _kill_at("trained ", out, trained, detector_weights)  # somewhere in what follows training
    left = "front_classifier_in_training.pt" in files(out)
    assert train.main(["--data", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    said = capsys.readouterr().out
    assert (f"removed what a training that did not finish left in {out}: " in said) == left
    after = {k: v for k, v in files(out).items() if not k.endswith(".log")}
    assert sorted(after) == sorted(before)  # no journal, no temporary: nothing is left
    if after["front_classifier.pt"] == before["front_classifier.pt"]:
        assert after == before  # stopped before its install: all as it was
        return
    calibration = json.loads(after["front_classifier_calibration.json"])
    report = json.loads(after["front_classifier_report.json"])
    assert report["front_conf"] == calibration["front_conf"] != OLD_FRONT_CONF
    assert after["front_classifier_previous.pt"] == before["front_classifier.pt"]
