"""What a finished training puts in place, and the model it replaces, kept beside it as
`<stem>_previous.pt` with its calibration.

A retraining can come out worse (fewer fronts, a different mix of labels); the previous model
stays at hand to compare with (`evaluate.py`) or to go back to (`run.py --classifier`).

A training writes its model under a name of its own (`front_classifier_in_training.pt`). Once it
has come to its end, `put_in_place` writes every other file it leaves, whole, under a temporary
name: the copies of the model in use and its calibration for the `_previous` names, the new
calibration, the report's page and numbers. Then all of them take their places in one step that
a kill cannot leave half done (install.py). A training that fails or is stopped before that step
leaves the model in use, its calibration and report, and the one kept before it, as they were;
what it wrote are `leftovers`, which the next training removes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from filtering.files import partial_path
from filtering.training.calibration import Calibration, calibration_path, calibration_text
from filtering.training.install import Step, commit, removal, rename, temporary
from filtering.training.report import Evaluation, report_paths, report_texts
from filtering.training.settings import TrainSettings

PREVIOUS = "_previous"


@dataclass(frozen=True)
class Installed:
    weights: Path
    kept: Path | None  # where the model it replaced is kept; None: there was none
    calibration: Path
    report: tuple[Path, Path]  # the page and the numbers
    stopped: bool  # a Ctrl-C came while the files took their places; they were put in place first


def put_in_place(
    settings: TrainSettings, calibration: Calibration, evaluation: Evaluation
) -> Installed:
    """The staged model, `calibration` and the report of `evaluation` take their places in
    `settings.out`, and the model they replace is kept under the `_previous` names."""
    weights = settings.weights_path
    kept = previous_path(weights) if weights.is_file() else None
    stopped = commit(settings.out, weights, stage(settings, calibration, evaluation))
    report = report_paths(settings.report_stem)
    return Installed(weights, kept, calibration_path(weights), report, stopped)


def stage(settings: TrainSettings, calibration: Calibration, evaluation: Evaluation) -> list[Step]:
    """Write every file the install puts in place under its temporary name; the steps, in order,
    that put them in place."""
    weights = settings.weights_path
    return [
        *_keep_previous(weights),
        *_new_model(settings.staged_weights_path, weights, calibration),
        *_new_report(settings.report_stem, evaluation),
    ]


def previous_path(weights: Path) -> Path:
    return weights.with_name(weights.stem + PREVIOUS + weights.suffix)


def _keep_previous(weights: Path) -> list[Step]:
    """Copies of `weights` and its calibration for the `_previous` names; none if none yet."""
    if not weights.is_file():
        return []
    kept = previous_path(weights)
    copy = _copy(weights, kept)
    steps = [
        # A threshold of the model kept before must not stay beside the one kept now.
        removal("previous calibration removed", calibration_path(kept), while_there=copy),
        rename("previous model", copy, kept),
    ]
    calibration = calibration_path(weights)
    if calibration.is_file():
        copied = _copy(calibration, calibration_path(kept))
        steps.append(rename("previous calibration", copied, calibration_path(kept)))
    return steps


def _new_model(staged: Path, weights: Path, calibration: Calibration) -> list[Step]:
    target = calibration_path(weights)
    written = _write(target, calibration_text(calibration))
    return [
        # The old threshold goes before the new weights come: never the one with the other.
        removal("calibration removed", target, while_there=staged),
        rename("model", staged, weights),
        rename("calibration", written, target),
    ]


def _new_report(stem: Path, evaluation: Evaluation) -> list[Step]:
    page, numbers = report_paths(stem)
    page_text, numbers_text = report_texts(evaluation)
    return [
        rename("report numbers", _write(numbers, numbers_text), numbers),
        rename("report page", _write(page, page_text), page),
    ]


def leftovers(settings: TrainSettings) -> list[Path]:
    """What a training that did not put its files in place may have left in `settings.out`: its
    model, the temporaries of the install, and half-written files (of earlier versions too)."""
    weights, staged = settings.weights_path, settings.staged_weights_path
    kept = previous_path(weights)
    targets = [
        weights,
        calibration_path(weights),
        kept,
        calibration_path(kept),
        *report_paths(settings.report_stem),
    ]
    return [
        staged,
        partial_path(staged),
        *(temporary(target) for target in targets),
        *(partial_path(target) for target in targets),
    ]


def _copy(source: Path, target: Path) -> Path:
    written = temporary(target)
    shutil.copyfile(source, written)
    return written


def _write(target: Path, text: str) -> Path:
    written = temporary(target)
    written.write_text(text, encoding="utf-8")
    return written
