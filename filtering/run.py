"""`python filtering/run.py`: turn each model's raw photos into `clean` and `questionable` sets.

Reads `<data>/raw/<model>/`, writes crops to `<data>/crops/<model>/` and the sets, records and an
HTML report to `<data>/final/<model>/`. Only images no earlier run has recorded are processed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: Python put filtering/ on sys.path, the imports need the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filtering.images import list_images
from filtering.models import load_models, model_names
from filtering.pipeline import ModelFolderError, run_model
from filtering.report import REPORT_NAME, write_report
from filtering.settings import FilterSettings
from filtering.summary import format_table, outcome_counts, stage_counts
from filtering.weights import WeightsError

DEFAULTS = FilterSettings()


def parse_args(argv: list[str] | None = None) -> tuple[FilterSettings, list[str] | None]:
    p = argparse.ArgumentParser(prog="filtering/run.py", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULTS.data, help="holds raw/, crops/, final/")
    p.add_argument("--model", action="append", help="a model folder under raw/ (repeatable)")
    p.add_argument("--detector", default=DEFAULTS.detector, help="YOLO detector weights")
    p.add_argument("--classifier", type=Path, default=DEFAULTS.classifier)
    p.add_argument("--device", default=DEFAULTS.device, help="cpu, or a GPU: 0, cuda:0, mps")
    for name, kind, text in _THRESHOLDS:
        default = getattr(DEFAULTS, name)
        flag = f"--{name.replace('_', '-')}"
        p.add_argument(flag, type=kind, default=default, help=f"{text} (default {default})")
    args = p.parse_args(argv)
    values = {k: v for k, v in vars(args).items() if k != "model"}
    return FilterSettings(**values), args.model


_THRESHOLDS: list[tuple[str, type, str]] = [
    ("batch", int, "images per inference call"),
    ("workers", int, "decoding/encoding threads"),
    ("threads", int, "inference threads (0: one per core)"),
    ("detector_conf", float, "detector confidence threshold"),
    ("detector_imgsz", int, "detector input size"),
    ("min_box_area", float, "smallest vehicle box, as a share of the photo"),
    ("edge_margin", float, "a box this close to the left/right edge is cut off"),
    ("crop_margin", float, "context kept around the box"),
    ("classifier_imgsz", int, "classifier input size (0: the size it was trained at)"),
    ("front_conf", float, "front at least this confident goes to clean"),
    ("near_duplicate_distance", int, "max pHash distance (bits of 64) of near-duplicates"),
    ("max_pixels", int, "larger images are rejected"),
    ("jpeg_quality", int, "quality of written crops"),
]


def main(argv: list[str] | None = None) -> int:
    settings, chosen = parse_args(argv)
    try:
        models = load_models(settings)
        names = model_names(settings, chosen)
    except (WeightsError, ModelFolderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        failed += not _run_one(name, settings, models)
    return 1 if failed else 0


def _run_one(name: str, settings: FilterSettings, models: object) -> bool:
    print(f"== {name}")
    if not list_images(settings.raw(name)):
        print(f"no images in {settings.raw(name)}: nothing to do")
        return True
    try:
        run = run_model(name, settings, models)
    except ModelFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    report = settings.final(name) / REPORT_NAME
    if run.done:
        print(format_table(stage_counts(run.done)))
        print("seconds: " + ", ".join(f"{step} {s:.1f}" for step, s in run.seconds.items()))
    else:
        print("nothing new to process")
    if run.done or not report.exists():
        write_report(name, run.records, settings)
    records = run.records
    counts = sorted(outcome_counts(records.values()).items())
    totals = ", ".join(f"{fate} {n:,}" for fate, n in counts) or "none kept"
    print(f"all images of {name}: {len(records):,} recorded; {totals}; report: {report}")
    return True


if __name__ == "__main__":
    sys.exit(main())
