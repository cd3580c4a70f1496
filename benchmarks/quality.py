"""Benchmark: the user's whole loop on real photos with a perfect labeller, in two folds.

    python benchmarks/quality.py [--photos ../shared/photos/lire-ferrari] [--plain-epochs 30]
                                 [--rounds 1] [--views none|FILE]

The photos are a folder of `<view>/*.jpg` (views front, front_three_quarter, side, rear,
rear_three_quarter, other, interior); `benchmarks/views/<folder name>.csv`, where there is one,
gives the photos filed under a plainly wrong view their own (`--views none`: the folders). They are
split in two halves, stratified by view. Each half is filtered by `filtering/run.py` without a
classifier; its crops in `to_label/` are labelled by their true view (front -> front,
front_three_quarter -> front_angled, anything else -> other); a classifier is trained from them;
then the other half is filtered with that classifier.

Two recipes train from the same starting weights on the same labels: `filtering/train.py` as a user
runs it, and a plain fixed-epoch Ultralytics fine-tune on all crops (no validation split, no early
stopping): the floor the recipe must beat. Reported per view: photos, crops made, rejections by
reason, where each photo ended; overall: clean precision (straight fronts only), the questionable
set's front-facing share, front-facing recall over clean and questionable, training seconds.
With `--rounds N` the loop runs N times, each round on other halves (round 1 alternates the
photos of each view in name order, the later rounds in a seeded random order), and the figures
count every round's photos together: one split of about 50 photos moves a ratio by several
points, which says nothing about a change. Results also go to benchmarks/out/quality.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("YOLO_OFFLINE", "1")

from benchmarks.quality_figures import figures, print_figures
from filtering.classes import CLASSIFIER_CLASSES, FRONT, FRONT_ANGLED, OTHER
from filtering.records import RECORDS_NAME, read_records
from filtering.training.cli import positive_int

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MODEL = "photos"  # the model folder name inside each temporary data folder
LABEL_OF_VIEW = {"front": FRONT, "front_three_quarter": FRONT_ANGLED}  # every other view: other
VIEWS = ("front", "front_three_quarter", "side", "rear", "rear_three_quarter", "other", "interior")
# Corrections of a photo folder's views, one file per folder name (benchmarks/views/README.md).
CORRECTIONS = REPO / "benchmarks" / "views"
NO_CORRECTIONS = "none"


def photo_and_model_options(p: argparse.ArgumentParser, weights_help: str) -> None:
    """The options of the benchmarks that crop the labelled photos and train from weights."""
    p.add_argument("--photos", type=Path, default=SHARED / "photos" / "lire-ferrari")
    p.add_argument("--detector", default=str(SHARED / "models" / "yolov8n.pt"))
    p.add_argument("--weights", default=str(SHARED / "models" / "yolov8n.pt"), help=weights_help)
    p.add_argument(
        "--views",
        help="a CSV (file,view,why) of photos whose view is not their folder's (default: "
        f"benchmarks/views/<photo folder name>.csv if there is one; {NO_CORRECTIONS}: the folders)",
    )


def corrections_file(photos: Path, given: str | None) -> Path | None:
    """The view corrections that apply: `--views` as given, else the folder's shipped file."""
    if given == NO_CORRECTIONS:
        return None
    if given is not None:
        return Path(given)
    shipped = CORRECTIONS / f"{photos.resolve().name}.csv"
    return shipped if shipped.is_file() else None


def read_corrections(path: Path, photos: Path) -> dict[Path, str]:
    """Each corrected photo's path under `photos` and its view; a row that names no photo of the
    folder or no known view stops the benchmark with its line."""
    try:
        # utf-8-sig: a spreadsheet's export may begin with a byte-order mark
        with path.open(newline="", encoding="utf-8-sig") as opened:
            reader = csv.DictReader(opened)
            rows = list(reader)
    except (OSError, UnicodeDecodeError) as error:
        sys.exit(f"error: cannot read the view corrections {path}: {error}")
    if not {"file", "view"} <= set(reader.fieldnames or ()):
        sys.exit(f"error: {path}: its first line must name the columns file,view,why")
    out = {}
    for line, row in enumerate(rows, 2):  # line 1 is the header
        file, view = (row.get("file") or "").strip(), (row.get("view") or "").strip()
        where = f"{path}, line {line}"
        if not file or not (photos / file).is_file():
            sys.exit(f"error: {where}: no photo {file!r} under {photos}")
        if view not in VIEWS:
            sys.exit(f"error: {where}: unknown view {view!r} (choose from {', '.join(VIEWS)})")
        out[photos / file] = view
    return out


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    photo_and_model_options(p, "start")
    p.add_argument("--plain-epochs", type=int, default=30, help="epochs of the plain fine-tune")
    p.add_argument("--imgsz", type=int, default=224)
    p.add_argument(
        "--rounds", type=positive_int, default=1, help="loops on other halves, counted together"
    )
    p.add_argument("--recipes", default="train,plain", help="comma-separated: train, plain")
    p.add_argument("--train-args", default="", help="extra options for filtering/train.py")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "quality.json")
    p.add_argument("--work", type=Path, help="keep the work folder here (must not exist)")
    args = p.parse_args()
    # The steps run in their own folders: paths given relative to here must still find their files.
    args.detector, args.weights = (_absolute(w) for w in (args.detector, args.weights))
    args.corrections = corrections_file(args.photos, args.views)
    return args


def _absolute(weights: str) -> str:
    return str(Path(weights).resolve()) if Path(weights).exists() else weights


def photos_by_view(folder: Path, corrections: Path | None = None) -> dict[str, list[Path]]:
    """Each view's photos: their folder's, except where `corrections` gives another view."""
    if not folder.is_dir():
        sys.exit(f"error: photo folder not found: {folder} (expected <view>/*.jpg)")
    views = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    found = {v.name: sorted(v.glob("*.jpg")) + sorted(v.glob("*.jpeg")) for v in views}
    if not any(found.values()):
        sys.exit(f"error: no <view>/*.jpg photos under {folder}")
    moved = read_corrections(corrections, folder) if corrections else {}
    out: dict[str, list[Path]] = {}
    for view, files in found.items():
        for path in files:
            out.setdefault(moved.get(path, view), []).append(path)
    return {view: sorted(files) for view, files in sorted(out.items())}


def halves(by_view: dict[str, list[Path]], round_index: int = 0) -> list[dict[str, str]]:
    """Two halves, every view split alternately (round 0 in name order, a later round in an order
    shuffled with its index as the seed); each maps image ID -> view."""
    parts: list[dict[str, str]] = [{}, {}]
    for view, files in by_view.items():
        ordered = list(files)
        if round_index:
            random.Random(f"{round_index}:{view}").shuffle(ordered)
        for k, path in enumerate(ordered):
            parts[k % 2][path.stem] = view
    return parts


def label_of(view: str) -> str:
    return LABEL_OF_VIEW.get(view, OTHER)


def filter_half(
    work: Path,
    by_view: dict[str, list[Path]],
    half: dict[str, str],
    classifier: Path | None,
    args: Any,
) -> dict[str, dict[str, Any]]:
    """`filtering/run.py` over the half's photos in a fresh data folder; its records by image ID.
    Without a classifier it runs as a new user's first run does: no --classifier, none trained."""
    data = work / "data"
    raw = data / "raw" / MODEL
    raw.mkdir(parents=True)
    for view, files in by_view.items():
        for path in files:
            if half.get(path.stem) == view:
                os.symlink(path.resolve(), raw / path.name)
    command = [sys.executable, str(REPO / "filtering" / "run.py"), "--data", str(data)]
    command += ["--detector", args.detector]
    command += ["--classifier", str(classifier)] if classifier else []
    _run(command, work, work / "filtering.log")
    return read_records(data / "final" / MODEL / RECORDS_NAME).by_id


def label_crops(work: Path, records: dict[str, dict[str, Any]], half: dict[str, str]) -> Path:
    """Every crop waiting in to_label/, copied into `labels/<class>/` by its true view."""
    labels = work / "labels"
    for label in CLASSIFIER_CLASSES:
        (labels / label).mkdir(parents=True, exist_ok=True)
    for image_id, record in records.items():
        if record["fate"] == "to_label":
            label = label_of(half[image_id])
            shutil.copyfile(work / "data" / record["output"], labels / label / f"{image_id}.jpg")
    return labels


def train_recipe(labels: Path, out: Path, args: Any) -> float:
    """`filtering/train.py` as a user runs it; its seconds, imports included."""
    command = [sys.executable, str(REPO / "filtering" / "train.py"), "--data", str(labels)]
    command += ["--out", str(out), "--weights", args.weights, "--imgsz", str(args.imgsz)]
    command += args.train_args.split()
    begin = time.perf_counter()
    _run(command, out.parent, out.parent / f"{out.name}.log")
    return time.perf_counter() - begin


def plain_recipe(labels: Path, out: Path, args: Any) -> float:
    """The floor: a plain Ultralytics fine-tune of the same start, fixed epochs, all crops."""
    command = [sys.executable, str(Path(__file__).with_name("plain_finetune.py"))]
    command += [str(labels), str(out), args.weights, str(args.plain_epochs), str(args.imgsz)]
    begin = time.perf_counter()
    _run(command, out.parent, out.parent / f"{out.name}.log")
    return time.perf_counter() - begin


RECIPES = {"train": train_recipe, "plain": plain_recipe}


def _run(command: list[str], cwd: Path, log: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("w") as out:
        done = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(command[:2])} failed ({done.returncode}); see {log}")


def run_loop(args: Any, work: Path) -> dict[str, Any]:
    by_view = photos_by_view(args.photos, args.corrections)
    recipes = [r for r in args.recipes.split(",") if r]
    ended: dict[str, dict[str, dict[str, Any]]] = {r: {} for r in recipes}
    seconds: dict[str, list[float]] = {r: [] for r in recipes}
    crops: dict[str, int] = Counter()
    views: dict[str, str] = {}
    for round_index in range(args.rounds):
        # A photo is counted once per round: its key names the round when there are several.
        prefix = "" if args.rounds == 1 else f"round{round_index + 1}:"
        here = work if args.rounds == 1 else work / f"round{round_index + 1}"
        parts = halves(by_view, round_index)
        for k, half in enumerate(parts):
            first = filter_half(here / f"label{k}", by_view, half, None, args)
            labels = label_crops(here / f"label{k}", first, half)
            crops.update({c: len(list((labels / c).iterdir())) for c in CLASSIFIER_CLASSES})
            for recipe in recipes:
                result, took = _use_recipe(recipe, labels, here, k, by_view, parts[1 - k], args)
                ended[recipe].update({prefix + i: record for i, record in result.items()})
                seconds[recipe].append(took)
        views.update({prefix + i: view for half in parts for i, view in half.items()})
    return {
        "photos": str(args.photos),
        "view_corrections": str(args.corrections) if args.corrections else None,
        "rounds": args.rounds,
        "labelled_crops_per_fold_sum": dict(crops),
        "recipes": {r: figures(ended[r], views, seconds[r]) for r in recipes},
    }


def _use_recipe(
    recipe: str,
    labels: Path,
    here: Path,
    k: int,
    by_view: dict[str, list[Path]],
    other_half: dict[str, str],
    args: Any,
) -> tuple[dict[str, dict[str, Any]], float]:
    """Train with `recipe` on `labels`, filter the other half with it: its records, the seconds."""
    models = here / f"{recipe}{k}" / "models"
    models.parent.mkdir()
    took = RECIPES[recipe](labels, models, args)
    classifier = models / "front_classifier.pt"
    use = here / f"{recipe}{k}" / "use"
    return filter_half(use, by_view, other_half, classifier, args), took


def main() -> None:
    args = parse_args()
    if args.work is not None:
        args.work.mkdir(parents=True)  # kept for a look at the logs and crops
        results = run_loop(args, args.work)
    else:
        with tempfile.TemporaryDirectory(prefix="scars-quality-") as work_dir:
            results = run_loop(args, Path(work_dir))
    results["settings"] = {k: str(v) for k, v in vars(args).items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print_figures(results)
    print(f"numbers: {args.out}")


if __name__ == "__main__":
    main()
