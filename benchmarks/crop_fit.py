"""Benchmark: how a crop is made square for the classifier, judged on the same real crops.

    python benchmarks/crop_fit.py [--photos ../shared/photos/lire-ferrari] [--rounds 12]
                                  [--fits stretch,centre,pad,stretch+pad] [--detector FILE]
                                  [--weights FILE] [--views none|FILE]

Each photo of `--photos` (any folder of `<view>/*.jpg`) is cropped as filtering crops it (the
main vehicle, its margin) and labelled by its view, as quality.py takes it (its folder, or
`benchmarks/views/<folder name>.csv` where that corrects it): front -> front, front_three_quarter ->
front_angled, the rest -> other. For each way of making a crop square, the frozen backbone of
`--weights` gives every crop's features once; then, in `--rounds` rounds of 2-fold
cross-validation (new folds each round), a head trains as train.py trains one (30 epochs,
balanced, mirrored at random) on one fold and predicts the other, flip-averaged. Each prediction
is routed as run.py routes it at the default front threshold (0.80, no `other` threshold). It
prints, per way, the accuracy, clean's straight fronts, the questionable set's front-facing
share and the front-facing recall, with their counts summed over the rounds, and where each view
ended. The ways: `stretch` (the whole crop resized to a square), `centre` (Ultralytics' own: the
shorter side resized, the centre square kept), `pad` (the whole crop on a grey square, its shape
kept) and `stretch+pad` (both: each square has a head of its own, both asked and averaged;
what training ships); train.py's `--crop-fit` chooses among them. The photos are credited in
their folder's ATTRIBUTION.csv. Results also go to benchmarks/out/crop_fit.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("YOLO_OFFLINE", "1")

from PIL import Image

from benchmarks.quality import (
    REPO,
    corrections_file,
    label_of,
    photo_and_model_options,
    photos_by_view,
)
from benchmarks.quality_figures import FRONT_FACING, ratio
from filtering.classes import CLASSIFIER_CLASSES, OTHER
from filtering.classify import Verdict, route
from filtering.crop_fit import BOTH, CENTRE, FITS, PAD, STRETCH
from filtering.detect import Detector, NoVehicle, crop, main_vehicle
from filtering.records import CLEAN, QUESTIONABLE
from filtering.settings import FilterSettings
from filtering.training.calibration import DEFAULT_FRONT_CONF
from filtering.training.cli import positive_int
from filtering.training.ensemble import classifier_of
from filtering.training.features import backbone_features
from filtering.training.head import fit_square_heads, square_logits
from filtering.training.labelled import Item
from filtering.training.settings import TrainSettings
from filtering.training.split import balanced, k_folds
from filtering.training.start import choose_start


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    photo_and_model_options(p, "backbone")
    p.add_argument(
        "--rounds", type=positive_int, default=12, help="2-fold cross-validations, new folds"
    )
    p.add_argument(
        "--fits", type=fit_list, default=[STRETCH, CENTRE, PAD, BOTH], help="comma-separated"
    )
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "crop_fit.json")
    return p.parse_args()


def fit_list(text: str) -> list[str]:
    fits = [fit for fit in text.split(",") if fit]
    unknown = [fit for fit in fits if fit not in FITS]
    if unknown or not fits:
        raise argparse.ArgumentTypeError(f"{text!r}: choose from {', '.join(FITS)}")
    return fits


def labelled_crops(
    by_view: dict[str, list[Path]], detector: str, folder: Path
) -> tuple[list[Item], dict[str, str]]:
    """Every photo's crop, as filtering makes it, saved under `folder`; the items and each
    crop's view. Photos without a crop are printed with filtering's reason."""
    settings = FilterSettings(detector=detector)
    detect = Detector.from_weights(settings)
    items, views = [], {}
    for view, path in [(view, path) for view, files in by_view.items() for path in files]:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
        try:
            box = main_vehicle(detect([image])[0], image.size, settings)
        except NoVehicle as no:
            print(f"  no crop: {view}/{path.name}: {no.reason}")
            continue
        target = folder / f"{view}--{path.stem}.jpg"  # two views may hold the same name
        crop(image, box, settings.crop_margin).save(target, quality=95)  # as filtering stores it
        items.append(Item(target, label_of(view)))
        views[target.stem] = view
    return items, views


def held_back_verdicts(
    template: Any, features: Any, items: list[Item], rounds: int
) -> list[list[Verdict]]:
    """Per round, every crop's verdict from the heads of the fold that did not see it (one head
    for each square of the fit)."""
    settings = TrainSettings(data=Path("."))
    classes = list(CLASSIFIER_CLASSES)
    labels = _tensor([classes.index(item.label) for item in items])
    position = {item: k for k, item in enumerate(items)}
    out = []
    for seed in range(rounds):
        logits: list[Any] = [None] * len(items)
        for k, fold in enumerate(k_folds(items, classes, 2, seed), 1):
            order = [position[item] for item in balanced(fold.train, classes, seed)]
            epochs, batch = settings.epochs, settings.batch
            heads = fit_square_heads(
                template, features, labels, order, epochs, batch, seed * 100 + k
            )
            held = [position[item] for item in fold.val]
            for at, row in zip(held, square_logits(heads, features[_tensor(held)]), strict=True):
                logits[at] = row
        out.append([_verdict(row, classes) for row in logits])
    return out


def _tensor(values: list[int]) -> Any:
    import torch

    return torch.tensor(values)


def _verdict(logits: Any, classes: list[str]) -> Verdict:
    probs = logits.softmax(-1).mean(0)  # flip-averaged, as run.py asks
    top = int(probs.argmax())
    # Rounded as run.py's verdicts are, so a threshold cuts where it would cut there.
    return Verdict(
        classes[top], round(float(probs[top]), 4), round(float(probs[classes.index(OTHER)]), 4)
    )


def tally(rounds: list[list[Verdict]], items: list[Item], views: dict[str, str]) -> dict[str, Any]:
    ended: dict[str, Counter[str]] = {}
    total: Counter[str] = Counter()
    for verdicts in rounds:
        for item, verdict in zip(items, verdicts, strict=True):
            view = views[item.path.stem]
            fate, _ = route(verdict, DEFAULT_FRONT_CONF)
            ended.setdefault(view, Counter())[fate] += 1
            facing = view in FRONT_FACING
            total["right"] += verdict.label == item.label
            total[f"{fate}"] += 1
            total["clean_fronts"] += fate == CLEAN and view == "front"
            total["questionable_facing"] += fate == QUESTIONABLE and facing
            total["kept_facing"] += fate in (CLEAN, QUESTIONABLE) and facing
            total["facing"] += facing
    return {
        "accuracy": ratio(total["right"], len(items) * len(rounds)),
        "clean_precision": ratio(total["clean_fronts"], total[CLEAN]),
        "questionable_front_facing_share": ratio(total["questionable_facing"], total[QUESTIONABLE]),
        "front_facing_recall": ratio(total["kept_facing"], total["facing"]),
        "per_view": {view: dict(sorted(c.items())) for view, c in sorted(ended.items())},
    }


def main() -> None:
    import tempfile

    args = parse_args()
    fits = args.fits
    corrections = corrections_file(args.photos, args.views)
    results: dict[str, Any] = {
        "photos": str(args.photos),
        "view_corrections": str(corrections) if corrections else None,
        "rounds": args.rounds,
        "fits": {},
    }
    with tempfile.TemporaryDirectory(prefix="scars-crop-fit-") as work:
        by_view = photos_by_view(args.photos, corrections)
        items, views = labelled_crops(by_view, args.detector, Path(work))
        results["crops"] = dict(Counter(views.values()))
        # One frozen start for every way: the heads differ only in what they learn from.
        network = classifier_of(choose_start(args.weights, seed=0).model, len(CLASSIFIER_CLASSES))
        imgsz = TrainSettings(data=Path(".")).imgsz
        for fit in fits:
            features = backbone_features(network, [item.path for item in items], imgsz, fit)
            verdicts = held_back_verdicts(network.model[-1], features, items, args.rounds)
            results["fits"][fit] = tally(verdicts, items, views)
            print_fit(fit, results["fits"][fit])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"crops per view: {results['crops']}; numbers: {args.out}")


def print_fit(fit: str, figures: dict[str, Any]) -> None:
    print(f"{fit}:")
    for name in ("accuracy", "clean_precision", "questionable_front_facing_share"):
        print(f"  {name}: {figures[name]['value']} ({figures[name]['of']})")
    recall = figures["front_facing_recall"]
    print(f"  front_facing_recall: {recall['value']} ({recall['of']})")
    for view, ended in figures["per_view"].items():
        print(f"  {view:<20} {', '.join(f'{k} {v}' for k, v in ended.items())}")


if __name__ == "__main__":
    main()
