"""`python filtering/evaluate.py` on crops the model never saw, with the training's report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from filtering.classes import CLASSIFIER_CLASSES
from tests.training.conftest import TrainedRun, run_script
from tests.training.crops import shape_crops
from tests.training.reports import assert_report_matches_model


def held_back(folder: Path) -> Path:
    """Six new shapes per class (another seed), plus a red box wrongly labelled `other`."""
    shape_crops(folder, per_class=6, seed=1)
    shutil.copy(folder / "front" / "front_1_000.jpg", folder / "other" / "mislabelled.jpg")
    return folder


def test_evaluate_on_a_held_back_folder(trained: TrainedRun, tmp_path: Path) -> None:
    data = held_back(tmp_path / "held_back")
    out = tmp_path / "eval"
    args = ("--data", str(data), "--weights", str(trained.weights), "--out", str(out))
    result = run_script("evaluate", tmp_path, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    report = assert_report_matches_model(out / "front_classifier_evaluation.json", trained.weights)
    assert report["imgsz"] == 64  # the size it was trained at, read from the weights
    assert report["images"] == 19
    assert [report["per_class"][c]["images"] for c in CLASSIFIER_CLASSES] == [6, 6, 7]
    assert report["weights"] == str(trained.weights)
    assert report["accuracy"] >= 0.6
    wrong = {
        Path(p["path"]).name: p["predicted"]
        for p in report["predictions"]
        if p["predicted"] != p["label"]
    }
    assert wrong.get("mislabelled.jpg") in ("front", "front_angled")  # a red box is not `other`
    html = (out / "front_classifier_evaluation.html").read_text()
    assert f"other → {wrong['mislabelled.jpg']}" in html and "mislabelled.jpg" in html
    assert "report: " in result.stdout
    assert (
        f"classifier {trained.weights} "
        "(64 px, the whole crop, resized and on grey, a head for each)" in result.stdout
    )


def test_evaluate_as_a_module_reports_next_to_the_weights(
    trained: TrainedRun, tmp_path: Path
) -> None:
    data = shape_crops(tmp_path / "held_back", per_class=2, seed=2)
    weights = tmp_path / "models" / "mine.pt"
    weights.parent.mkdir()
    shutil.copy(trained.weights, weights)
    args = ("--data", str(data), "--weights", str(weights), "--imgsz", "64")
    result = run_script("evaluate", tmp_path, *args, module=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "models" / "mine_evaluation.html").is_file()
    assert json.loads((tmp_path / "models" / "mine_evaluation.json").read_text())["images"] == 6


def test_unreadable_images_are_skipped_named_and_counted(
    trained: TrainedRun, tmp_path: Path
) -> None:
    data = shape_crops(tmp_path / "held_back", per_class=2, seed=3)
    (data / "front" / "broken.jpg").write_bytes(
        (data / "front" / "front_3_000.jpg").read_bytes()[:300]
    )
    (data / "other" / "page.jpg").write_text("<html>not a picture</html>")
    (data / "other" / ".tmp-half-written.jpg").write_bytes(b"")  # hidden: not counted at all
    out = tmp_path / "eval"
    args = ("--data", str(data), "--weights", str(trained.weights), "--out", str(out))
    result = run_script("evaluate", tmp_path, *args, "--imgsz", "64")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "skipped 2 unreadable image(s):" in result.stdout
    assert str(data / "front" / "broken.jpg") in result.stdout
    report = json.loads((out / "front_classifier_evaluation.json").read_text())
    assert report["images"] == 6
    assert sorted(Path(s["path"]).name for s in report["skipped"]) == ["broken.jpg", "page.jpg"]
    assert "Skipped (2)" in (out / "front_classifier_evaluation.html").read_text()
