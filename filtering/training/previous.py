"""The model a new training replaces, kept beside it: `<stem>_previous.pt` with its calibration.

A retraining can come out worse (fewer fronts, a different mix of labels); the previous model
stays at hand to compare with (`evaluate.py`) or to go back to (`run.py --classifier`).

A training writes its model under a name of its own and only one that came to its end takes the
place of the model in use: a training that fails or is stopped leaves the model in use, and the
one kept before it, as they were.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from filtering.files import write_atomic
from filtering.training.calibration import Calibration, calibration_path, write_calibration

PREVIOUS = "_previous"


def put_in_place(new: Path, calibration: Calibration, weights: Path) -> Path | None:
    """`new`, a finished training's model, and its calibration become `weights` and its
    calibration; the model they replace is kept first (`keep_previous`), and its path returned."""
    kept = keep_previous(weights)
    # Between the two renames the new weights must not be read with the old model's threshold:
    # without a calibration file run.py takes the default one for that moment.
    calibration_path(weights).unlink(missing_ok=True)
    os.replace(new, weights)
    write_calibration(weights, calibration)
    return kept


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
