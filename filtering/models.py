"""Choosing what a run works on: which model folders, and which detector and classifier."""

from __future__ import annotations

import sys

from filtering.batch import Models
from filtering.classes import DEFAULT_CLASSIFIER
from filtering.pipeline import ModelFolderError
from filtering.settings import FilterSettings
from filtering.training.install import finish_aloud
from filtering.weights import WeightsError


def load_models(settings: FilterSettings) -> Models:
    """The detector, and the classifier if one has been trained; says plainly which is used."""
    # ultralytics imports only once work is certain
    from filtering.classify import Classifier, describe_thresholds
    from filtering.detect import Detector

    # A training stopped while its files took their places is finished before any is read.
    finish_aloud(settings.classifier.parent)
    if settings.classifier != DEFAULT_CLASSIFIER and not settings.classifier.exists():
        # Named on purpose: a typo must not send every crop to to_label/ unnoticed.
        raise WeightsError(f"classifier weights not found: {settings.classifier}")
    detect = Detector.from_weights(settings)
    print(f"detector {settings.detector}: {detect.describe()}")
    if not settings.classifier.exists():
        print(
            f"No front-facing classifier at {settings.classifier}: every crop goes to to_label/ "
            "for labelling; the commands to label and train are printed after each model.",
            file=sys.stderr,
        )
        return Models(detect, None)
    classify = Classifier.from_weights(settings)
    caution = classify.caution()
    if caution:
        print(f"warning: {caution}", file=sys.stderr)
    print(
        f"classifier {settings.classifier} ({classify.describe()}): {describe_thresholds(settings)}"
    )
    return Models(detect, classify)


def model_names(settings: FilterSettings, chosen: list[str] | None) -> list[str]:
    """The chosen models, or every folder under raw/; a bad name fails before any work."""
    raw = settings.data / "raw"
    if not raw.is_dir():
        raise ModelFolderError(f"no raw images: {raw} is not a folder (crawl first, or --data)")
    available = sorted(p.name for p in raw.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not chosen:
        if not available:
            raise ModelFolderError(f"no model folders under {raw}")
        return available
    for name in chosen:
        if name not in available or "/" in name or name in (".", ".."):
            known = ", ".join(available) or "none"
            raise ModelFolderError(f"unknown model {name!r}: not a folder under {raw} ({known})")
    return chosen
