"""Benchmark: the filtering run over generated 1280x960 photos, next to a floor.

The floor is the same models' inference alone on the same images, one image at a time, as a plain
loop would do it: the detector on each file, then the classifier on the main vehicle's box; once
with Ultralytics' own thread count and once on every core, as the pipeline runs. Each
side runs in a fresh process, which reports its own time and peak memory. The pipeline runs at
two image counts so that memory can be seen to stay flat. Last, the near-duplicate index on
100,000 hashes.

With `--detectors`, it compares instead the detector's input sizes and runtimes on the real photos
of `--photos` and on generated scenes (benchmarks/detector_choice.py).

    python benchmarks/filtering.py [--images 2000] [--small 500] [--detector yolov8n.pt]
    python benchmarks/filtering.py --detectors [--photos ../shared/photos] [--scenes 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PIL import Image, ImageOps

from benchmarks import detector_choice
from filtering import near_dups

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_DETECTOR = SHARED / "models" / "yolov8n.pt"
MODEL = "bench"


def bus_photo() -> Path:
    import ultralytics

    return Path(ultralytics.__file__).parent / "assets" / "bus.jpg"


def make_photos(raw: Path, count: int, seed: int = 0) -> None:
    """Marketplace-like photos: two in three show the bus somewhere, the rest show no vehicle."""
    rng = random.Random(seed)
    raw.mkdir(parents=True, exist_ok=True)
    base = Image.open(bus_photo()).convert("RGB")
    for k in range(count):
        photo = _empty(k) if k % 3 == 2 else _bus_variant(base, rng)
        photo.save(raw / f"img{k:06d}.jpg", quality=85)


def _empty(seed: int) -> Image.Image:
    """No vehicle: a gradient with a bar across it."""
    image = Image.linear_gradient("L").resize((1280, 960)).convert("RGB")
    y = seed * 37 % 800
    image.paste((seed * 53 % 256, 120, 90), (100, y, 1180, y + 120))
    return image


def _bus_variant(base: Image.Image, rng: random.Random) -> Image.Image:
    colour = tuple(rng.randrange(256) for _ in range(3))
    canvas = Image.new("RGB", (1280, 960), colour)
    scale = rng.uniform(0.6, 0.85)
    bus = base.resize((int(base.width * scale), int(base.height * scale)))
    bus = ImageOps.mirror(bus) if rng.random() < 0.5 else bus
    canvas.paste(bus, (rng.randrange(0, 1280 - bus.width), rng.randrange(0, 960 - bus.height)))
    return canvas


def timing_classifier(work: Path, detector: str) -> Path:
    """A classifier of the right shape for timing (its answers do not matter here), trained by
    `filtering/train.py` for one epoch on crops of the generated photos."""
    make_photos(work / "pool", 12, seed=5)
    for k, path in enumerate(sorted((work / "pool").glob("*.jpg"))):
        label = ("front", "front_angled", "other")[k % 3]
        (work / "labelled" / label).mkdir(parents=True, exist_ok=True)
        Image.open(path).resize((96, 72)).save(work / "labelled" / label / path.name)
    command = [sys.executable, str(REPO / "filtering" / "train.py")]
    command += ["--data", str(work / "labelled"), "--out", str(work / "classifier")]
    command += ["--weights", detector, "--epochs", "1", "--imgsz", "64", "--workers", "0"]
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return work / "classifier" / "front_classifier.pt"


def child_pipeline(data: Path, detector: str, classifier: str) -> dict:
    from filtering.models import load_models
    from filtering.pipeline import run_model
    from filtering.settings import FilterSettings

    settings = FilterSettings(data=data, detector=detector, classifier=Path(classifier))
    models = load_models(settings)
    start = time.perf_counter()
    run = run_model(MODEL, settings, models)
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "images": len(run.done), "steps": dict(run.seconds)}


def child_floor(data: Path, detector: str, classifier: str, every_core: bool = False) -> dict:
    from ultralytics import YOLO

    from filtering.weights import use_threads

    detect, classify = YOLO(detector), YOLO(classifier)
    paths = sorted((data / "raw" / MODEL).glob("*.jpg"))
    start = time.perf_counter()
    for path in paths:
        if every_core:  # as the pipeline does; by default Ultralytics leaves one core idle
            use_threads(0)
        [result] = detect.predict(str(path), classes=[2, 5, 7], conf=0.25, verbose=False)
        if len(result.boxes):
            x1, y1, x2, y2 = (int(v) for v in result.boxes.xyxy[0].tolist())
            classify.predict(result.orig_img[y1:y2, x1:x2], imgsz=224, verbose=False)
    return {"seconds": time.perf_counter() - start, "images": len(paths)}


def in_child(kind: str, data: Path, detector: str, classifier: str) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--data", str(data)]
    command += ["--detector", detector, "--classifier", classifier]
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def near_duplicate_index(count: int = 100_000, distance: int = 6) -> tuple[float, int]:
    """Seconds to find every close pair among `count` hashes, a tenth of them near copies."""
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**64 - 1, count, dtype=np.uint64, endpoint=True)
    for k in range(count // 10):
        hashes[count - 1 - k] = hashes[k] ^ np.uint64(1 << int(rng.integers(0, 64)))
    start = time.perf_counter()
    pairs = near_dups.close_pairs(hashes, distance)
    near_dups.groups(count, pairs)
    return time.perf_counter() - start, len(pairs)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--small", type=int, default=500, help="the smaller run, for memory")
    default_detector = str(SHARED_DETECTOR) if SHARED_DETECTOR.exists() else "yolov8n.pt"
    p.add_argument("--detector", default=default_detector)
    p.add_argument("--classifier", default="")
    p.add_argument(
        "--child", choices=["pipeline", "floor", "floor-every-core"], help=argparse.SUPPRESS
    )
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--detectors", action="store_true", help="compare input sizes and runtimes")
    p.add_argument("--photos", type=Path, default=SHARED / "photos", help="<view>/*.jpg photos")
    p.add_argument("--scenes", type=int, default=60, help="generated scenes for --detectors")
    args = p.parse_args()
    if args.detectors:
        int8 = SHARED / "models" / "yolov8n_int8.onnx"
        with tempfile.TemporaryDirectory(prefix="scars-detectors-") as tmp:
            detector_choice.report(Path(args.detector), int8, args.photos, args.scenes, Path(tmp))
        return
    if args.child:
        if args.child == "pipeline":
            result = child_pipeline(args.data, args.detector, args.classifier)
        else:
            every_core = args.child == "floor-every-core"
            result = child_floor(args.data, args.detector, args.classifier, every_core)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    report(args)


def report(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="scars-bench-") as tmp:
        work = Path(tmp)
        classifier = args.classifier or str(timing_classifier(work, args.detector))
        results = {}
        for count in (args.small, args.images):
            data = work / f"data{count}"
            make_photos(data / "raw" / MODEL, count)
            results[f"pipeline {count}"] = in_child("pipeline", data, args.detector, classifier)
        big = work / f"data{args.images}"
        results["floor"] = in_child("floor", big, args.detector, classifier)
        results["floor-every-core"] = in_child("floor-every-core", big, args.detector, classifier)
    for name, result in results.items():
        rate = result["images"] / result["seconds"]
        print(f"{name:>16}: {rate:6.2f} images/s, peak {result['peak_mb']:.0f} MB")
        for step, seconds in result.get("steps", {}).items():
            rate = result["images"] / max(seconds, 1e-9)
            print(f"{'':>18}{step:<17} {seconds:7.1f} s  {rate:9.1f} images/s")
    pipeline = results[f"pipeline {args.images}"]
    for name in ("floor", "floor-every-core"):
        floor = results[name]
        ratio = (pipeline["images"] / pipeline["seconds"]) / (floor["images"] / floor["seconds"])
        print(f"pipeline / {name}: {ratio:.2f}")
    seconds, pairs = near_duplicate_index()
    print(f"near-duplicate index, 100,000 hashes: {seconds:.2f} s ({pairs:,} close pairs)")


if __name__ == "__main__":
    main()
