"""The printed next steps after a run with a classifier: the rejections still to look through,
and the training once some of them are labelled."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from filtering.next_steps import next_steps
from filtering.records import Record
from filtering.settings import FilterSettings

MODEL = "m"


def _rejected(image_id: str, with_crop: bool = True) -> Record:
    crop = f"crops/{MODEL}/{image_id}.jpg" if with_crop else None
    reason = "not_front:other"
    return {"image_id": image_id, "fate": "rejected", "stage": "classify", "reason": reason,
            "crop": crop}  # fmt: skip


def _steps(tmp_path: Path, labelled: list[str], classifier: str = "none.pt") -> list[str]:
    settings = FilterSettings(
        data=tmp_path / "data", detector=str(tmp_path / "det.pt"), classifier=classifier
    )
    (tmp_path / "det.pt").write_bytes(b"weights")
    for image_id in labelled:
        path = settings.data / "labels" / MODEL / "other" / f"{image_id}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"jpeg")
    records = {i: _rejected(i) for i in ("r1", "r2", "r3")} | {"old": _rejected("old", False)}
    return next_steps(MODEL, settings, records)


def test_the_rejections_not_labelled_yet_are_counted(tmp_path: Path) -> None:
    steps = _steps(tmp_path, labelled=[])
    said = "look through the 3 crop(s) the classifier rejected that are not labelled yet in "
    assert steps[0].startswith(said)  # not "old"
    assert f"labelled yet in {tmp_path / 'data' / 'labels' / MODEL}," in steps[0]  # which folder
    assert steps[1].endswith("--label --sets not_front")
    assert len(steps) == 2


def test_once_some_are_labelled_the_training_follows(tmp_path: Path) -> None:
    steps = _steps(tmp_path, labelled=["r1"])
    assert steps[0].startswith("look through the 2 crop(s)")
    labels = tmp_path / "data" / "labels" / MODEL
    assert steps[2] == f"then train again with the labels in {labels}:"
    assert steps[3].endswith(f"--data {labels} --weights {tmp_path / 'det.pt'}")


def test_when_all_are_labelled_only_the_training_is_left(tmp_path: Path) -> None:
    steps = _steps(tmp_path, labelled=["r1", "r2", "r3"])
    assert steps[0].startswith("then train again") and len(steps) == 2


def test_a_review_s_moves_join_the_training_as_labels(tmp_path: Path) -> None:
    settings = FilterSettings(data=tmp_path / "data", detector=str(tmp_path / "det.pt"))
    (tmp_path / "det.pt").write_bytes(b"weights")
    output = f"final/{MODEL}/rejected/q1.jpg"
    moved: Record = {"image_id": "q1", "fate": "rejected", "stage": "review",
                     "reason": "moved_to_rejected", "output": output}  # fmt: skip
    steps = next_steps(MODEL, settings, {"q1": moved})
    final, labels = settings.final(MODEL), settings.data / "labels" / MODEL
    assert len(steps) == 2
    assert (
        steps[0]
        == f"then train again with the labels in {labels} and the review's moves in {final}:"
    )
    assert steps[1].endswith(
        f"train.py --data {labels} --reviewed {final} --weights {tmp_path / 'det.pt'}"
    )


def test_a_run_without_review_moves_trains_on_the_labels_alone(tmp_path: Path) -> None:
    steps = _steps(tmp_path, labelled=["r1", "r2", "r3"])
    assert "--reviewed" not in steps[1]


def _age(path: Path, seconds: float) -> None:
    """`path` as if written `seconds` ago."""
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


@pytest.mark.parametrize(
    ("newer", "trains"),
    [
        (None, False),  # every label is older than the classifier: it learnt from them all
        ("label", True),  # a crop labelled since
        ("class folder", True),  # a crop relabelled since: moved from one class folder to another
        ("review log", True),  # a review since: its moves are labels too
    ],
)
def test_the_training_is_offered_only_for_what_is_new_since_the_classifier(
    tmp_path: Path, newer: str | None, trains: bool
) -> None:
    labels = tmp_path / "data" / "labels" / MODEL
    classifier = tmp_path / "front_classifier.pt"
    _steps(tmp_path, labelled=["r1", "r2"])  # writes the labels
    final = tmp_path / "data" / "final" / MODEL
    final.mkdir(parents=True)
    (final / "review_log.jsonl").write_text("{}\n")
    for path in [labels / "other", *(labels / "other").iterdir(), final / "review_log.jsonl"]:
        _age(path, 3600)
    classifier.write_bytes(b"weights")
    _age(classifier, 60)
    chosen = {"label": labels / "other" / "r1.jpg", "class folder": labels / "other",
              "review log": final / "review_log.jsonl"}  # fmt: skip
    if newer:
        _age(chosen[newer], 0)
    steps = _steps(tmp_path, labelled=[], classifier=str(classifier))
    assert steps[0].startswith("look through the 1 crop(s)")  # r3 still waits, either way
    assert any(step.startswith("then train again") for step in steps) == trains
