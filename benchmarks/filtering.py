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
        [--runtimes onnx-int8,onnx,pytorch] [--size 1280x960]
    python benchmarks/filtering.py --memory 1000,10000 [--memory-real 1000] [--size 640x480]
    python benchmarks/filtering.py --detectors [--photos ../shared/photos] [--scenes 60]
    python benchmarks/filtering.py --decoding [--photos ../shared/photos] [--scenes 60]
    python benchmarks/filtering.py --whole [--photos ../shared/photos] [--scenes 60]
        [--whole-variants pytorch:640,pytorch:416,pytorch-bf16:416,onnx:416,onnx-int8:416]
        [--rounds 3] [--against DIR]

With `--whole`, the whole run per detector input size and runtime on the real photos and scenes
(benchmarks/whole_run.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PIL import Image, ImageOps

from benchmarks import decoding, detector_choice, whole_run
from benchmarks.memory import own_peak_mb
from filtering import near_dups
from filtering.settings import FilterSettings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_DETECTOR = SHARED / "models" / "yolov8n.pt"
MODEL = "bench"


def bus_photo() -> Path:
    import ultralytics

    return Path(ultralytics.__file__).parent / "assets" / "bus.jpg"


def make_photos(raw: Path, count: int, seed: int = 0, size: tuple[int, int] = (1280, 960)) -> None:
    """Marketplace-like photos: two in three show the bus somewhere, the rest show no vehicle;
    made at 1280x960 (the crawler's size) and scaled to `size`."""
    rng = random.Random(seed)
    raw.mkdir(parents=True, exist_ok=True)
    base = Image.open(bus_photo()).convert("RGB")
    for k in range(count):
        photo = _empty(k) if k % 3 == 2 else _bus_variant(base, rng)
        photo = photo if photo.size == size else photo.resize(size, Image.Resampling.BILINEAR)
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


def timing_classifier(work: Path, detector: str, imgsz: int = 64) -> Path:
    """A classifier of the right shape for timing (its answers do not matter here), trained by
    `filtering/train.py` for one epoch on crops of the generated photos."""
    make_photos(work / "pool", 12, seed=5)
    for k, path in enumerate(sorted((work / "pool").glob("*.jpg"))):
        label = ("front", "front_angled", "other")[k % 3]
        (work / "labelled" / label).mkdir(parents=True, exist_ok=True)
        Image.open(path).resize((96, 72)).save(work / "labelled" / label / path.name)
    command = [sys.executable, str(REPO / "filtering" / "train.py")]
    command += ["--data", str(work / "labelled"), "--out", str(work / "classifier")]
    command += ["--weights", detector, "--epochs", "1", "--imgsz", str(imgsz), "--workers", "0"]
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return work / "classifier" / "front_classifier.pt"


def child_pipeline(data: Path, detector: str, classifier: str, runtime: str, idle: bool) -> dict:
    """The whole run over the model folder (`idle`: the models loaded, no image run: the floor)."""
    from filtering.models import load_models
    from filtering.pipeline import run_model
    from filtering.settings import FilterSettings

    settings = FilterSettings(
        data=data,
        detector=detector,
        classifier=Path(classifier),
        detector_runtime=runtime,
        export_cache=data.parent / "exports",
    )
    models = load_models(settings)
    start = time.perf_counter()
    run = run_model(MODEL, settings, models) if not idle else None
    elapsed = time.perf_counter() - start
    done = len(run.done) if run else 0
    steps = dict(run.seconds) if run else {}
    return {"seconds": elapsed, "images": done, "steps": steps, "torch": "torch" in sys.modules}


def child_stand_ins(data: Path) -> dict:
    """The whole run with instant stand-ins for the models (a box over the middle of every
    photo, every crop a sure front): the pipeline's own memory, without the models' floor."""
    from filtering.batch import Models
    from filtering.classify import Verdict
    from filtering.detect import Box
    from filtering.pipeline import run_model
    from filtering.settings import FilterSettings

    def detect(images: Sequence[Image.Image]) -> list[list[Box]]:
        return [[Box(i.width * 0.2, i.height * 0.2, i.width * 0.8, i.height * 0.9, 0.9, "car")]
                for i in images]  # fmt: skip

    def classify(crops: Sequence[Image.Image]) -> list[Verdict]:
        return [Verdict("front", 0.99) for _ in crops]

    settings = FilterSettings(data=data, front_conf=0.5)
    start = time.perf_counter()
    run = run_model(MODEL, settings, Models(detect, classify))
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "images": len(run.done), "torch": "torch" in sys.modules}


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


def in_child(kind: str, data: Path, detector: str, classifier: str, runtime: str = "onnx") -> dict:
    command = [sys.executable, __file__, "--child", kind, "--data", str(data)]
    command += ["--detector", detector, "--classifier", classifier, "--runtime", runtime]
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def near_duplicate_index(count: int = 100_000, distance: int = 6) -> tuple[float, int]:
    """Seconds to group `count` hashes, a tenth of them near copies, and the close pairs found."""
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**64 - 1, count, dtype=np.uint64, endpoint=True)
    for k in range(count // 10):
        hashes[count - 1 - k] = hashes[k] ^ np.uint64(1 << int(rng.integers(0, 64)))
    start = time.perf_counter()
    near_dups.groups(hashes, distance)
    seconds = time.perf_counter() - start
    return seconds, len(near_dups.close_pairs(hashes, distance))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--small", type=int, default=500, help="the smaller run, for memory")
    default_detector = str(SHARED_DETECTOR) if SHARED_DETECTOR.exists() else "yolov8n.pt"
    p.add_argument("--detector", default=default_detector)
    p.add_argument("--classifier", default="")
    p.add_argument(
        "--runtimes", default="onnx-int8,onnx,pytorch", help="detector runtimes of the runs"
    )
    p.add_argument("--child", choices=[*CHILDREN], help=argparse.SUPPRESS)
    p.add_argument("--runtime", default="onnx", help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--detectors", action="store_true", help="compare input sizes and runtimes")
    p.add_argument("--photos", type=Path, default=SHARED / "photos", help="<view>/*.jpg photos")
    p.add_argument("--scenes", type=int, default=60, help="generated scenes for --detectors")
    p.add_argument("--decoding", action="store_true", help="compare full and reduced decoding")
    p.add_argument("--memory", default="", help="image counts of a memory run, e.g. 1000,10000")
    p.add_argument("--memory-real", default="", help="image counts run with the real models too")
    p.add_argument("--size", default="1280x960", help="generated photos' size, WxH")
    p.add_argument("--whole", action="store_true", help="whole runs per input size and runtime")
    p.add_argument(
        "--whole-variants",
        default="pytorch:640,pytorch:416,pytorch-bf16:416,onnx:416,onnx-int8:416",
    )
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds of --whole")
    p.add_argument("--against", type=Path, help="--whole: time this checkout's run.py beside ours")
    args = p.parse_args()
    if args.whole:
        with tempfile.TemporaryDirectory(prefix="scars-whole-") as tmp:
            variants = args.whole_variants.split(",")
            whole_run.report(
                args.photos, args.scenes, variants, args.rounds, args.detector, Path(tmp),
                args.against,
            )  # fmt: skip
    elif args.decoding:
        with tempfile.TemporaryDirectory(prefix="scars-decoding-") as tmp:
            settings = FilterSettings(detector=args.detector, export_cache=Path(tmp) / "exports")
            decoding.report(args.photos, args.scenes, Path(tmp), settings)
    elif args.detectors:
        int8 = SHARED / "models" / "yolov8n_int8.onnx"
        with tempfile.TemporaryDirectory(prefix="scars-detectors-") as tmp:
            detector_choice.report(Path(args.detector), int8, args.photos, args.scenes, Path(tmp))
    elif args.child:
        result = CHILDREN[args.child](args)
        result["peak_mb"] = own_peak_mb()
        print(json.dumps(result))
    else:
        report(args)


CHILDREN = {
    "pipeline": lambda a: child_pipeline(a.data, a.detector, a.classifier, a.runtime, False),
    "idle": lambda a: child_pipeline(a.data, a.detector, a.classifier, a.runtime, True),
    "stand-ins": lambda a: child_stand_ins(a.data),
    "floor": lambda a: child_floor(a.data, a.detector, a.classifier),
    "floor-every-core": lambda a: child_floor(a.data, a.detector, a.classifier, True),
}


def report(args: argparse.Namespace) -> None:
    size = tuple(int(v) for v in args.size.split("x"))
    runtimes = args.runtimes.split(",")
    with tempfile.TemporaryDirectory(prefix="scars-bench-") as tmp:
        work = Path(tmp)
        classifier = args.classifier or str(timing_classifier(work, args.detector))
        _export_beforehand(args.detector, runtimes, work / "exports")
        run = partial(_pipeline_at, work=work, size=size, detector=args.detector)
        results = {f"idle {runtimes[0]}": run(0, runtimes[0], classifier, kind="idle")}
        if args.memory:
            for count in (int(c) for c in args.memory.split(",")):
                results[f"stand-ins {count}"] = run(
                    count, runtimes[0], classifier, kind="stand-ins"
                )
            for count in (int(c) for c in args.memory_real.split(",") if c):
                results[f"pipeline {runtimes[0]} {count}"] = run(count, runtimes[0], classifier)
            print_results(results)
            return
        results[f"pipeline {runtimes[0]} {args.small}"] = run(args.small, runtimes[0], classifier)
        for runtime in runtimes:
            results[f"pipeline {runtime} {args.images}"] = run(args.images, runtime, classifier)
        big = work / f"data{args.images}"
        results["floor"] = in_child("floor", big, args.detector, classifier)
        results["floor-every-core"] = in_child("floor-every-core", big, args.detector, classifier)
    print_results(results)
    for runtime in runtimes:
        pipeline = results[f"pipeline {runtime} {args.images}"]
        for name in ("floor", "floor-every-core"):
            floor = results[name]
            ratio = _rate(pipeline) / _rate(floor)
            print(f"pipeline {runtime} / {name}: {ratio:.2f}")
    seconds, pairs = near_duplicate_index()
    print(f"near-duplicate index, 100,000 hashes: {seconds:.2f} s ({pairs:,} close pairs)")


def _export_beforehand(detector: str, runtimes: list[str], cache: Path) -> None:
    """The ONNX export made before the runs, so that none times it or counts its memory."""
    from filtering.detector_export import onnx_export

    if "onnx" in runtimes and detector.endswith(".pt"):
        onnx_export(Path(detector), FilterSettings().detector_imgsz, cache)


def _pipeline_at(
    count: int,
    runtime: str,
    classifier: str,
    work: Path,
    size: tuple[int, int],
    detector: str,
    kind: str = "pipeline",
) -> dict:
    data = work / f"data{count}"
    if not (data / "raw" / MODEL).is_dir():
        make_photos(data / "raw" / MODEL, count, size=size)
    for made in ("final", "crops"):  # each runtime starts from the raw photos alone
        shutil.rmtree(data / made, ignore_errors=True)
    result = in_child(kind, data, detector, classifier, runtime)
    result["uptime"] = os.getloadavg()[0]
    return result


def _rate(result: dict) -> float:
    return result["images"] / max(result["seconds"], 1e-9)


def print_results(results: dict[str, dict]) -> None:
    for name, result in results.items():
        torch = "torch loaded" if result.get("torch", True) else "torch not loaded"
        load = f", load {result['uptime']:.1f} after" if "uptime" in result else ""
        print(f"{name:>22}: {_rate(result):6.2f} images/s, peak {result['peak_mb']:.0f} MB", end="")
        print(f" ({torch}{load})")
        for step, seconds in result.get("steps", {}).items():
            rate = result["images"] / max(seconds, 1e-9)
            print(f"{'':>24}{step:<17} {seconds:7.1f} s  {rate:9.1f} images/s")


if __name__ == "__main__":
    main()
