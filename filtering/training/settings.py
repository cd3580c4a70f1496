"""Training options: one frozen object built once from the command line, with the defaults'
reasons. The defaults suit small data: hundreds of crops per class on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filtering.classes import DEFAULT_CLASSIFIER
from filtering.crop_fit import BOTH

# Ultralytics' ImageNet-pretrained classifier, downloaded by Ultralytics on a user's machine.
DEFAULT_START = "yolov8n-cls.pt"
# The same network from random weights: the fallback when no starting weights are at hand.
SCRATCH_CONFIG = "yolov8n-cls.yaml"
WEIGHTS_NAME = DEFAULT_CLASSIFIER.name
# Where a training writes the model it makes: only a training that comes to its end puts it in
# place of the model in use (training/previous.py), so one that fails or is stopped changes nothing.
STAGED_NAME = f"{DEFAULT_CLASSIFIER.stem}_in_training{DEFAULT_CLASSIFIER.suffix}"
# Ultralytics' own output, kept out of the console.
LOG_NAME = f"{DEFAULT_CLASSIFIER.stem}_training.log"
# The report on the held-back predictions: `<stem>.html` and `<stem>.json`.
REPORT_STEM = f"{DEFAULT_CLASSIFIER.stem}_report"


# Folds when the whole network trains: each costs a training run on the crops, and the kept
# model is one more, trained on all of them.
BACKBONE_FOLDS = 2


@dataclass(frozen=True)
class TrainSettings:
    data: Path
    out: Path = DEFAULT_CLASSIFIER.parent  # the weights go where filtering/run.py looks
    weights: str | None = None  # None: DEFAULT_START, or from scratch if it cannot be had
    # A fixed number of epochs on all crops: with a few dozen crops held back, the "best" epoch
    # is chosen by noise (see README), so no epoch is chosen and nothing is held back from it.
    epochs: int = 30
    imgsz: int = 224  # recorded in the weights: run.py classifies at the same size
    batch: int = 16
    seed: int = 0  # the folds, the oversampling and Ultralytics' own randomness
    # Cross-validation folds whose held-back predictions give the report and the calibration.
    # Head only, each fold's head is one of the model's: with 5 each learns from 4/5 of the crops
    # (README: in the loop on real photos it beat 2 folds on every figure, for seconds more).
    folds: int = 5
    # Rounds of cross-validation (new folds each) for head-only training: every round adds one
    # held-back prediction per crop to average and `folds` heads to the kept ensemble.
    repeats: int = 1
    precision: float = 0.98  # clean's precision target: the front threshold is chosen for it
    device: str = "cpu"
    workers: int = 2  # image loading processes on a GPU (Ultralytics loads in-process on a CPU)
    balance: bool = True  # oversample smaller classes
    # Off: only the classification head learns; the starting weights' features stay as they are.
    # With a few dozen crops per class, retraining the whole backbone forgets more than it learns
    # (see README: it found no straight front where the head alone found some).
    train_backbone: bool = False
    # How a crop is made square for the heads to learn from, recorded in the model (crop_fit.py);
    # Ultralytics' own training (train_backbone) learns from its own crops of the pictures.
    crop_fit: str = BOTH
    reviewed: tuple[Path, ...] = ()  # data/final/<model> folders whose review moves are labels

    @property
    def weights_path(self) -> Path:
        return self.out / WEIGHTS_NAME

    @property
    def staged_weights_path(self) -> Path:
        return self.out / STAGED_NAME

    @property
    def log_path(self) -> Path:
        return self.out / LOG_NAME

    @property
    def report_stem(self) -> Path:
        return self.out / REPORT_STEM


def augmentation() -> dict[str, Any]:
    """Ultralytics' augmentation for classification, set for car views.

    Horizontal flips are on: a mirrored front view is still a front view, and a mirrored
    front_angled view is still front_angled, since the class does not say which side the car is
    turned to. So flipping doubles the views without changing any label. Vertical flips are off:
    no listing photo shows a car upside down.
    """
    return {
        "fliplr": 0.5,
        "flipud": 0.0,
        "scale": 0.3,  # crops keep at least 70% of the picture: a front stays recognisable
        "erasing": 0.2,  # a few hidden patches (plates, reflections) without losing the view
        "auto_augment": "randaugment",
        "hsv_h": 0.015,
        "hsv_s": 0.5,  # paint colour varies; it should not decide the view
        "hsv_v": 0.4,  # so do light and exposure
    }


def ultralytics_args(settings: TrainSettings, split_root: Path, runs: Path) -> dict[str, Any]:
    """The keyword arguments of `YOLO.train` for these settings."""
    return {
        "data": str(split_root),
        "epochs": settings.epochs,
        "patience": 0,  # no early stopping: every run trains its fixed number of epochs
        "val": False,  # nothing is chosen by validation; Ultralytics checks once at the end
        "save": False,  # only the last epoch's weights are kept
        "imgsz": settings.imgsz,
        "batch": settings.batch,
        "seed": settings.seed,
        "deterministic": True,
        "device": settings.device,
        "workers": settings.workers,
        "project": str(runs),  # run folders stay out of the repository and the user's data
        "name": "train",
        "exist_ok": True,
        "plots": False,  # plotting may fetch a font; the report shows what matters
        "amp": False,  # its check downloads a model; AMP only matters on a GPU anyway
        "verbose": False,
        **augmentation(),
    }
