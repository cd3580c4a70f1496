"""`python filtering/evaluate.py --data <folder> --weights <file>`: check a classifier on crops.

Reads labelled crops (`<data>/<class>/*.jpg`), asks the classifier about each, and writes the
same report as training (precision, recall, confusion matrix, misclassified crops), by default
next to the weights as `<weights name>_evaluation.html` and `.json`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

if __package__ in (None, ""):
    # Run as a script: Python put filtering/ on sys.path, the imports need the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filtering.arguments import BriefParser
from filtering.classes import CLASSIFIER_CLASSES, DEFAULT_CLASSIFIER
from filtering.classify import calibration_caution, check_calibration
from filtering.crop_fit import fit_of, fit_parts
from filtering.square_heads import fit_said, square_heads
from filtering.training.calibration import read_stored
from filtering.training.cli import evaluate_and_report, guarded, positive_int, read_aloud
from filtering.training.install import finish_aloud
from filtering.weights import WeightsError, first_run, load_yolo

FALLBACK_IMGSZ = 224  # for weights that do not record their training size: run.py's default


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = BriefParser(prog="filtering/evaluate.py", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="folder of <class>/*.jpg crops")
    p.add_argument(
        "--weights",
        type=Path,
        default=DEFAULT_CLASSIFIER,
        help=f"classifier weights (default {DEFAULT_CLASSIFIER})",
    )
    p.add_argument("--out", type=Path, help="report folder (default: the weights' folder)")
    p.add_argument(
        "--imgsz", type=positive_int, help="input size (default: the size the model was trained at)"
    )
    p.add_argument("--device", default="cpu", help="cpu, or a GPU: 0, cuda:0, mps (default cpu)")
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    finish_aloud(args.weights.parent)  # a training stopped while its files took their places
    if not args.weights.exists():  # an OpenVINO export is a folder
        raise WeightsError(f"classifier weights not found: {args.weights}")
    found = read_aloud(args.data, CLASSIFIER_CLASSES, require_all=False)
    model = load_yolo(args.weights, "classify", "classifier")
    imgsz = args.imgsz or int(model.overrides.get("imgsz") or FALLBACK_IMGSZ)
    stored = read_stored(args.weights)
    check_calibration(model, stored, args.weights)
    fit = fit_of(model, stored.crop_fit)
    # An export of a model with a head for each square is named here, before any prediction.
    heads = square_heads(model, len(fit_parts(fit)), stored.square_heads)
    # An export opens its runtime at the first prediction: one that cannot run is named now.
    blank = Image.new("RGB", (64, 48))
    first_run(args.weights, "classifier", lambda: model.predict(blank, imgsz=imgsz, verbose=False))
    # once it is sure to run: an error stays the only line
    caution = calibration_caution(model, args.weights)
    if caution:
        print(f"warning: {caution}", file=sys.stderr)
    facts = {
        "title": f"Front-facing classifier: evaluation on {args.data}",
        "weights": str(args.weights),
        "data": str(args.data),
        "imgsz": imgsz,
        "crop_fit": fit,
        "square_heads": heads is not None,
        "device": args.device,
        "evaluated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(f"classifier {args.weights} ({imgsz} px, {fit_said(fit, heads)})")
    stem = (args.out or args.weights.parent) / f"{args.weights.stem}_evaluation"
    evaluate_and_report(model, found.items, found, facts, stem)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return guarded(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
