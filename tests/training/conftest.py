"""Fixtures of the training tests: labelled folders made here, and one classifier trained once
per session with the real Ultralytics on the CPU (a few seconds: 64-pixel crops, a few epochs).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.training.crops import reviewed_folder, shape_crops

REPO_ROOT = Path(__file__).resolve().parents[2]
# Small and quick, yet enough for the shapes to be learnt from the detector's features.
QUICK = ("--imgsz", "64", "--batch", "4", "--epochs", "4", "--folds", "2", "--workers", "0")


def run_script(
    script: str, cwd: Path, *args: str, module: bool = False
) -> subprocess.CompletedProcess[str]:
    """`python filtering/<script>.py` (or `python -m filtering.<script>`) as a user types it."""
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    if module:
        env["PYTHONPATH"] = str(REPO_ROOT)
        command = [sys.executable, "-m", f"filtering.{script}", *args]
    else:
        command = [sys.executable, str(REPO_ROOT / "filtering" / f"{script}.py"), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@dataclass(frozen=True)
class TrainedRun:
    data: Path
    reviewed: Path  # the data/final/<model> folder whose review moves were labels too
    out: Path
    result: subprocess.CompletedProcess[str]
    snapshot: dict[str, tuple[int, float]]  # the labelled folder before training

    @property
    def weights(self) -> Path:
        return self.out / "front_classifier.pt"

    @property
    def report_json(self) -> Path:
        return self.out / "front_classifier_report.json"

    @property
    def calibration_json(self) -> Path:
        return self.out / "front_classifier_calibration.json"


def snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime)
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, detector_weights: Path) -> TrainedRun:
    """`python filtering/train.py` on 16 shapes per class and the 5 moves of a review, from the
    detector's backbone."""
    root = tmp_path_factory.mktemp("trained")
    data = shape_crops(root / "labels", per_class=16)
    final = reviewed_folder(root / "data")
    before = snapshot(data)
    out = root / "out"
    result = run_script(
        "train",
        root,
        "--data",
        str(data),
        "--out",
        str(out),
        "--weights",
        str(detector_weights),
        "--reviewed",
        str(final),
        *QUICK,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return TrainedRun(data, final, out, result, before)
