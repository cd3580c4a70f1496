"""Review corrections as labels: the moves the review tool applied, read back as training crops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filtering import train
from filtering.classes import CLASSIFIER_CLASSES
from filtering.records import RECORDS_NAME
from filtering.training.labelled import read_labelled
from filtering.training.reviewed import merged, read_reviewed
from tests.training.conftest import TrainedRun
from tests.training.crops import NOT_REVIEWED, REVIEW_MOVES, reviewed_folder, shape_crops

CLASS_OF_SET = {"clean": "front", "questionable": "front_angled", "rejected": "other"}


def test_each_move_is_a_label_of_the_set_it_went_to(tmp_path: Path) -> None:
    final = reviewed_folder(tmp_path / "data")
    found = read_reviewed(final)
    labels = {item.path.stem: item.label for item in found.items}
    assert labels == {image_id: CLASS_OF_SET[after] for image_id, _, after in REVIEW_MOVES}
    assert NOT_REVIEWED not in labels
    assert all(item.path.is_file() for item in found.items)
    assert (found.skipped, found.bad_lines) == ([], 0)


def test_a_later_filtering_record_supersedes_a_move(tmp_path: Path) -> None:
    final = reviewed_folder(tmp_path / "data")
    lines = (final / RECORDS_NAME).read_text().splitlines()
    again = json.loads(lines[-1]) | {"stage": "classify", "reason": None}  # filtered again
    with (final / RECORDS_NAME).open("a") as out:
        out.write(json.dumps(again) + "\n" + '{"image_id": "torn')  # and a kill mid-line
    found = read_reviewed(final)
    assert again["image_id"] not in {item.path.stem for item in found.items}
    assert len(found.items) == len(REVIEW_MOVES) - 1
    assert found.bad_lines == 1


def test_a_move_whose_crop_is_gone_is_named_and_skipped(tmp_path: Path) -> None:
    final = reviewed_folder(tmp_path / "data")
    gone = tmp_path / "data" / "final" / "cars" / "clean" / "front_5_000.jpg"
    gone.unlink()
    (tmp_path / "data" / "crops" / "cars" / "front_5_000.jpg").unlink()
    found = read_reviewed(final)
    assert [s.path for s in found.skipped] == [gone]
    assert "missing or unreadable" in found.skipped[0].reason


def test_a_review_overrides_the_label_folder_for_the_same_image(tmp_path: Path) -> None:
    final = reviewed_folder(tmp_path / "data")
    labels = shape_crops(tmp_path / "labels", per_class=2)
    # The person first labelled other_5_000 as front, then rejected it in a review.
    (labels / "front" / "other_5_000.jpg").write_bytes(
        (labels / "front" / "front_0_000.jpg").read_bytes()
    )
    # ... and labelled front_5_000 as front, which a review then moved to clean: no change.
    (labels / "front" / "front_5_000.jpg").write_bytes(
        (labels / "front" / "front_0_000.jpg").read_bytes()
    )
    found, changed = merged(read_labelled(labels, CLASSIFIER_CLASSES, True), [read_reviewed(final)])
    assert changed == 1
    classes = [item.label for item in found.items if item.path.stem == "other_5_000"]
    assert classes == ["other"]
    assert [i.label for i in found.items if i.path.stem == "front_5_000"] == ["front"]
    assert len(found.items) == 8 - 2 + len(REVIEW_MOVES)


def test_training_adds_the_review_moves(trained: TrainedRun) -> None:
    assert "review moves in " in trained.result.stdout
    assert ": front 2, front_angled 1, other 2" in trained.result.stdout
    report = json.loads(trained.report_json.read_text())
    assert report["train_images"] == {"front": 18, "front_angled": 17, "other": 18}
    held_back = {Path(p["path"]).stem: p["label"] for p in report["predictions"]}
    assert {i: held_back[i] for i, _, _ in REVIEW_MOVES} == {
        i: CLASS_OF_SET[after] for i, _, after in REVIEW_MOVES
    }


def test_a_folder_without_records(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    labels = shape_crops(tmp_path / "labels", per_class=2)
    assert train.main(["--data", str(labels), "--reviewed", str(tmp_path / "final" / "x")]) == 2
    err = capsys.readouterr().err
    assert f"no review records: {tmp_path / 'final' / 'x' / RECORDS_NAME} not found" in err
