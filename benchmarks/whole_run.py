"""Benchmark: the whole filtering run per detector input size and runtime, in one run.

The real photos of `--photos` (every view) and generated 1280x960 scenes (the crawler's size)
form one model folder; each variant filters it from the raw photos alone in a fresh process, the
variants interleaved for `--rounds` rounds so that the machine's load falls on all alike. The
classifier is a real one at 224 px (trained for one epoch on crops of the scenes: its answers
are not the point, its cost is). Reported per variant: the median images per second over the
rounds with each step's seconds, the ratio of its time per image to 640/PyTorch's, and where the
photos of each view ended, so that a faster variant can be seen to keep the same fronts.

    python benchmarks/filtering.py --whole [--photos ../shared/photos] [--scenes 60]
        [--whole-variants pytorch:640,pytorch:416,pytorch-bf16:416,onnx:416,onnx-int8:416]
        [--rounds 3]
        [--against ../scars-at-an-earlier-commit]

A variant is `runtime:size`, or `runtime:size:batch` for another `--batch` than the default. The
runtime is `pytorch` (float32), `pytorch-bf16` (PyTorch in bfloat16: `--detector-precision
bfloat16`), `onnx` (the float export) or `onnx-int8` (its int8 copy, the default); the
reference is 640 px PyTorch in float32, the detector as it ran before 416 px, bfloat16 and int8
were chosen.

`--against DIR` also times, in each round, `python filtering/run.py` as a whole process with its
own defaults, of this checkout and of the checkout DIR (an earlier commit, say), on the same
photos with the same classifier: the wall time with the start-up, and the steps' seconds.
The classifier's answers here are not real ones, so "where the photos ended" says what the
detect stage decided (a crop, or why none) and nothing about the views' sets.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.detector_choice import make_scenes
from benchmarks.memory import own_peak_mb

MODEL = "bench"
REFERENCE = "pytorch:640"


def report(
    photos: Path,
    scene_count: int,
    variants: list[str],
    rounds: int,
    detector: str,
    work: Path,
    against: Path | None = None,
) -> None:
    views = build_folder(photos, scene_count, work / "data")
    classifier = classifier_at_224(work, detector)
    runs: dict[str, list[dict]] = {variant: [] for variant in variants}
    processes: dict[str, list[dict]] = {"this checkout": [], str(against): []} if against else {}
    for _ in range(rounds):
        for variant in variants:
            runs[variant].append(in_child(variant, work, detector, classifier))
        for checkout, results in processes.items():
            scars = Path(__file__).resolve().parents[1] if checkout == "this checkout" else None
            results.append(whole_process(scars or Path(checkout), work, detector, classifier))
    print_speed(runs)
    if processes:
        print_processes(processes)
    for variant in variants:
        print_fates(variant, runs[variant][-1]["fates"], views)


def whole_process(scars: Path, work: Path, detector: str, classifier: str) -> dict:
    """`python filtering/run.py` of the checkout `scars` with its own defaults, as a user runs it,
    on a fresh copy of the raw photos: the wall time with the start-up, and its steps' seconds."""
    data = work / "process"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(work / "data" / "raw", data / "raw")
    command = [sys.executable, "filtering/run.py", "--data", str(data), "--detector", detector]
    command += ["--classifier", classifier]
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=scars, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"run.py of {scars} failed:\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("seconds: "))
    steps = {k: float(v) for k, v in (p.rsplit(" ", 1) for p in line[9:].split(", "))}
    images = len(list((data / "raw" / MODEL).iterdir()))
    return {"wall": wall, "steps": steps, "images": images, "load": os.getloadavg()[0]}


def print_processes(processes: dict[str, list[dict]]) -> None:
    """Medians over the rounds; "work" is the sum of the steps' seconds (no start-up)."""
    print("\n| run.py of | images | wall s (start-up included) | work s | ms per image of work |")
    print("| --- | --- | --- | --- | --- |")
    for checkout, results in processes.items():
        wall = statistics.median(r["wall"] for r in results)
        work = statistics.median(sum(r["steps"].values()) for r in results)
        images = results[-1]["images"]
        print(f"| {checkout} | {images} | {wall:.1f} | {work:.1f} | {work / images * 1000:.0f} |")


def build_folder(photos: Path, scene_count: int, data: Path) -> dict[str, str]:
    """The model folder's raw photos (copies: the sources are never touched); image ID -> view."""
    raw = data / "raw" / MODEL
    raw.mkdir(parents=True, exist_ok=True)
    views = {}
    for k, path in enumerate(sorted(photos.rglob("*.jpg"))):
        shutil.copyfile(path, raw / f"real{k:04d}.jpg")
        views[f"real{k:04d}"] = path.parent.name
    for path in make_scenes(data / "scenes", scene_count):
        shutil.copyfile(path, raw / path.name)
        views[path.stem] = "scene"
    return views


def classifier_at_224(work: Path, detector: str) -> str:
    from benchmarks.filtering import timing_classifier

    return str(timing_classifier(work / "classifier", detector, imgsz=224))


def in_child(variant: str, work: Path, detector: str, classifier: str) -> dict:
    data = work / "data"
    for made in ("final", "crops"):  # each run starts from the raw photos alone
        shutil.rmtree(data / made, ignore_errors=True)
    command = [sys.executable, __file__, "--child", variant, "--data", str(data)]
    command += ["--detector", detector, "--classifier", classifier]
    command += ["--exports", str(work / "exports")]
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise SystemExit(f"the {variant} run failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = os.getloadavg()[0]
    return result


def child(variant: str, data: Path, detector: str, classifier: str, exports: Path) -> dict:
    """One whole run, the models loaded before the clock starts (as in any long run)."""
    from filtering.models import load_models
    from filtering.pipeline import run_model
    from filtering.records import RECORDS_NAME, read_records
    from filtering.settings import FilterSettings

    runtime, size, *batch = variant.split(":")
    settings = FilterSettings(
        batch=int(batch[0]) if batch else FilterSettings().batch,
        data=data,
        detector=detector,
        classifier=Path(classifier),
        detector_runtime=runtime.removesuffix("-bf16"),
        detector_precision="bfloat16" if runtime.endswith("-bf16") else "float32",
        detector_imgsz=int(size),
        export_cache=exports,
    )
    models = load_models(settings)
    start = time.perf_counter()
    run = run_model(MODEL, settings, models)
    elapsed = time.perf_counter() - start
    records = read_records(settings.final(MODEL) / RECORDS_NAME).by_id
    fates = {i: f"{r['fate']}:{r.get('reason') or ''}".rstrip(":") for i, r in records.items()}
    return {
        "seconds": elapsed,
        "images": len(run.done),
        "steps": dict(run.seconds),
        "fates": fates,
        "peak_mb": own_peak_mb(),
    }


def print_speed(runs: dict[str, list[dict]]) -> None:
    reference = _median_rate(runs[REFERENCE]) if REFERENCE in runs else None
    columns = ["variant", "images", "images/s (median)", "time per image against 640"]
    columns += ["steps (s)", "peak MB", "load"]
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    for variant, results in runs.items():
        rate = _median_rate(results)
        ratio = f"{reference / rate:.2f}" if reference else "–"
        last = results[-1]
        steps = ", ".join(f"{k} {v:.1f}" for k, v in last["steps"].items())
        loads = "–".join(f"{r['load']:.1f}" for r in results)
        print(f"| {variant} | {last['images']} | {rate:.2f} | {ratio} | {steps} | "
              f"{last['peak_mb']:.0f} | {loads} |")  # fmt: skip


def _median_rate(results: list[dict]) -> float:
    return statistics.median(r["images"] / max(r["seconds"], 1e-9) for r in results)


def print_fates(variant: str, fates: dict[str, str], views: dict[str, str]) -> None:
    print(f"\n{variant}: where the photos of each view ended")
    for view in sorted(set(views.values())):
        ended = Counter(fates.get(i, "not recorded") for i, v in views.items() if v == view)
        shown = ", ".join(f"{fate} {count}" for fate, count in sorted(ended.items()))
        print(f"  {view} ({sum(ended.values())}): {shown}")


def main() -> None:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--detector", required=True)
    p.add_argument("--classifier", required=True)
    p.add_argument("--exports", type=Path, required=True)
    args = p.parse_args()
    result = child(args.child, args.data, args.detector, args.classifier, args.exports)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
