"""The quality benchmark's floor: a plain Ultralytics fine-tune, run in its own process.

    python benchmarks/plain_finetune.py LABELS OUT WEIGHTS EPOCHS IMGSZ

All labelled crops train for a fixed number of epochs with Ultralytics' default augmentation; no
validation split, no early stopping, no balancing, no calibration. The last epoch's weights are
written to `OUT/front_classifier.pt`.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("YOLO_OFFLINE", "1")

from filtering.classes import CLASSIFIER_CLASSES
from filtering.training.labelled import read_labelled
from filtering.training.split import write_layout
from filtering.training.start import choose_start


def main(labels: Path, out: Path, weights: str, epochs: int, imgsz: int) -> None:
    items = read_labelled(labels, CLASSIFIER_CLASSES, require_all=False).items
    start = choose_start(weights, seed=0)
    with tempfile.TemporaryDirectory(prefix="scars-plain-") as work_dir:
        work = Path(work_dir)
        write_layout(work / "split", "train", items, CLASSIFIER_CLASSES)
        write_layout(work / "split", "val", items, CLASSIFIER_CLASSES)  # Ultralytics wants one
        start.model.train(
            data=str(work / "split"),
            epochs=epochs,
            imgsz=imgsz,
            batch=16,
            seed=0,
            device="cpu",
            workers=0,
            val=False,  # validated once, after the last epoch; nothing is chosen from it
            project=str(work / "runs"),
            name="train",
            plots=False,
            amp=False,
        )
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(start.model.trainer.last), out / "front_classifier.pt")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
