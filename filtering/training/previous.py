"""The model a new training replaces, kept beside it: `<stem>_previous.pt` with its calibration.

A retraining can come out worse (fewer fronts, a different mix of labels); the previous model
stays at hand to compare with (`evaluate.py`) or to go back to (`run.py --classifier`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from filtering.files import write_atomic
from filtering.training.calibration import calibration_path

PREVIOUS = "_previous"


def keep_previous(weights: Path) -> Path | None:
    """Copy `weights` (and its calibration file) to the `_previous` names; None if none yet."""
    if not weights.is_file():
        return None
    kept = weights.with_name(weights.stem + PREVIOUS + weights.suffix)
    _copy(weights, kept)
    calibration = calibration_path(weights)
    if calibration.is_file():
        _copy(calibration, calibration_path(kept))
    else:
        calibration_path(kept).unlink(missing_ok=True)  # no stale threshold beside it
    return kept


def _copy(source: Path, target: Path) -> None:
    write_atomic(target, lambda partial: shutil.copyfile(source, partial))
