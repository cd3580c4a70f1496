"""The printed next steps after a run with a classifier: the rejections still to look through,
and the training once some of them are labelled."""

from __future__ import annotations

from pathlib import Path

from filtering.next_steps import next_steps
from filtering.records import Record
from filtering.settings import FilterSettings

MODEL = "m"


def _rejected(image_id: str, with_crop: bool = True) -> Record:
    crop = f"crops/{MODEL}/{image_id}.jpg" if with_crop else None
    reason = "not_front:other"
    return {"image_id": image_id, "fate": "rejected", "stage": "classify", "reason": reason,
            "crop": crop}  # fmt: skip


def _steps(tmp_path: Path, labelled: list[str]) -> list[str]:
    settings = FilterSettings(data=tmp_path / "data", detector=str(tmp_path / "det.pt"))
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
