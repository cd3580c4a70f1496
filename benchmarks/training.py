"""Benchmark: training time per epoch and inference time per crop on the CPU, next to floors.

    python benchmarks/training.py [--photos ../shared/photos/lire-ferrari] [--per-class 100]
                                  [--epochs 3] [--folds 2] [--imgsz 224] [--batch 16]

Training: `filtering.training.trainer.train` with the shipped settings (augmentation, balancing,
cross-validation, then all crops) on real photos labelled by their view folder (front ->
front, front_three_quarter -> front_angled, the rest -> other; up to --per-class each), from the
detector's backbone; the time of each epoch is taken from Ultralytics' own epoch callbacks (head
only, the default: a head's run on cached features over its epochs, the first run including the
features), and the whole training's seconds are reported too. Its floor: the bare model's
forward, backward and optimiser step over the same number of images in batches of random
tensors (no decoding, no augmentation, no validation).

Inference: crops classified through `filtering.training.predict` (file paths, as evaluate.py
does) and through `YOLO.predict` on decoded PIL crops (as run.py does), in batches of 32. Its
floor: the bare (fused) model's forward on a ready tensor batch. Results also go to
benchmarks/out/training.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("YOLO_OFFLINE", "1")

import torch
from PIL import Image

from filtering.classes import CLASSIFIER_CLASSES, FRONT, FRONT_ANGLED, OTHER
from filtering.crop_fit import fit_of
from filtering.training.console import Progress
from filtering.training.labelled import read_labelled
from filtering.training.predict import BATCH, predict
from filtering.training.settings import TrainSettings
from filtering.training.split import k_folds
from filtering.training.start import choose_start
from filtering.training.trainer import train
from filtering.weights import load_yolo

REPO = Path(__file__).resolve().parents[1]
DETECTOR = REPO.parent / "shared" / "models" / "yolov8n.pt"
PHOTOS = REPO.parent / "shared" / "photos" / "lire-ferrari"
CLASS_OF_VIEW = {"front": FRONT, "front_three_quarter": FRONT_ANGLED}  # the rest: other


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--photos", type=Path, default=PHOTOS, help="a folder of <view>/*.jpg")
    p.add_argument("--per-class", type=int, default=100)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--folds", type=int, default=2)
    p.add_argument("--imgsz", type=int, default=224)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--weights", default=str(DETECTOR) if DETECTOR.exists() else "yolov8n.pt")
    return p.parse_args()


def labelled_photos(photos: Path, folder: Path, per_class: int) -> Path:
    """The photos linked into `<folder>/<class>/` by their view, at most `per_class` each."""
    for label in CLASSIFIER_CLASSES:
        (folder / label).mkdir(parents=True, exist_ok=True)
    for view in sorted(p for p in photos.iterdir() if p.is_dir()):
        label = CLASS_OF_VIEW.get(view.name, OTHER)
        for path in sorted(view.glob("*.jpg")):
            if len(list((folder / label).iterdir())) < per_class:
                os.symlink(path.resolve(), folder / label / path.name)
    return folder


class TimedProgress(Progress):
    """The training's own progress, with the seconds of each epoch (from the end of the one
    before, or from the start of its run)."""

    def __init__(self, console: Any, total_epochs: int) -> None:
        super().__init__(console, total_epochs)
        self.epochs: list[float] = []
        self.last = time.perf_counter()

    def watch(self, model: Any, name: str) -> None:
        super().watch(model, name)
        self.last = time.perf_counter()

    def _epoch_done(self, trainer: Any) -> None:
        now = time.perf_counter()
        self.epochs.append(now - self.last)
        self.last = now
        super()._epoch_done(trainer)

    def epochs_done(self, name: str, epochs: int) -> None:
        """A head's run on cached features: its seconds shared out over its epochs (the first
        run's include computing the features)."""
        now = time.perf_counter()
        self.epochs += [(now - self.last) / epochs] * epochs
        self.last = now
        super().epochs_done(name, epochs)


def bench_training(args: argparse.Namespace, work: Path) -> tuple[dict[str, Any], Path]:
    data = labelled_photos(args.photos, work / "labels", args.per_class)
    settings = TrainSettings(
        data=data,
        out=work / "out",
        weights=args.weights,
        epochs=args.epochs,
        folds=args.folds,
        imgsz=args.imgsz,
        batch=args.batch,
    )
    found = read_labelled(data, CLASSIFIER_CLASSES, require_all=True)
    folds = k_folds(found.items, CLASSIFIER_CLASSES, settings.folds, settings.seed)
    progress = TimedProgress(sys.stdout, (settings.folds + 1) * settings.epochs)
    begin = time.perf_counter()
    trained = train(settings, found.items, folds, CLASSIFIER_CLASSES, progress)
    seconds = time.perf_counter() - begin
    epochs = progress.epochs
    n_train = sum(trained.train_counts.values())
    floor = train_floor(settings, n_train)
    return {
        "crops": {c: found.count(c) for c in CLASSIFIER_CLASSES},
        "train_images_per_epoch_all_crops": n_train,
        "training_s_total": round(seconds, 1),
        "epoch_s_median": statistics.median(epochs),
        "epoch_s_each": [round(e, 2) for e in epochs],
        "floor_epoch_s": floor,
        "ratio_to_floor": statistics.median(epochs) / floor,
    }, trained.weights


def train_floor(settings: TrainSettings, n_images: int) -> float:
    """Forward, backward and step of the bare classifier over `n_images` random images."""
    model = choose_start(settings.weights, settings.seed).model.model
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.rand(settings.batch, 3, settings.imgsz, settings.imgsz)
    y = torch.randint(0, len(CLASSIFIER_CLASSES), (settings.batch,))
    begin = time.perf_counter()
    for _ in range(max(1, n_images // settings.batch)):
        out = model(x)
        logits = out[0] if isinstance(out, tuple) else out
        loss = torch.nn.functional.cross_entropy(logits, y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return time.perf_counter() - begin


def bench_inference(weights: Path, data: Path, imgsz: int) -> dict[str, float]:
    model = load_yolo(weights, "classify", "benchmark")
    found = read_labelled(data, CLASSIFIER_CLASSES, require_all=True)
    items = found.items[: BATCH * 4]
    fit = fit_of(model)  # a .pt: its checkpoint says
    predict(model, items[:BATCH], imgsz, "cpu", fit)  # warm-up
    paths_s = _timed(lambda: predict(model, items, imgsz, "cpu", fit))
    crops = [Image.open(i.path).convert("RGB") for i in items]
    pil_s = _timed(
        lambda: [
            model.predict(crops[k : k + BATCH], imgsz=imgsz, verbose=False)
            for k in range(0, len(crops), BATCH)
        ]
    )
    net = copy.deepcopy(model.model).fuse(verbose=False).eval()  # as predict runs it
    x = torch.rand(BATCH, 3, imgsz, imgsz)
    with torch.no_grad():
        floor_s = _timed(lambda: [net(x) for _ in range(len(items) // BATCH)])
    n = len(items)
    return {
        "crops": n,
        "ms_per_crop_paths": 1000 * paths_s / n,
        "ms_per_crop_pil": 1000 * pil_s / n,
        "ms_per_crop_floor": 1000 * floor_s / n,
        "ratio_paths_to_floor": paths_s / floor_s,
        "ratio_pil_to_floor": pil_s / floor_s,
    }


def _timed(work: object) -> float:
    begin = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - begin


def main() -> None:
    args = parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(prefix="scars-bench-") as work_dir:
        work = Path(work_dir)
        training, weights = bench_training(args, work)
        inference = bench_inference(weights, work / "labels", args.imgsz)
    results = {
        "settings": {k: str(v) for k, v in vars(args).items()},
        "threads": torch.get_num_threads(),
        "training": training,
        "inference": inference,
    }
    out = REPO / "benchmarks" / "out" / "training.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
