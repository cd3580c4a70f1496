"""Benchmark: the detector's input size and runtime, chosen by what the detect stage decides.

For each input size (320, 416, 480, 640) and runtime (PyTorch `.pt` in float32 and in bfloat16
(`--detector-precision`); ONNX Runtime with the float export filtering itself makes from the
`.pt`, one per size, and its int8 copy (the default runtime); the shipped int8 ONNX model
(dynamically quantised), whose input is fixed at 640; OpenVINO where the package is installed),
a fresh process decodes the photos, runs the detector in batches and applies the stage's rules
(`main_vehicle`, `framing_doubts`). It reports images per second (detection and the whole), its
peak memory, whether PyTorch was loaded, and, per view, against 640/PyTorch: crops made, crops
lost and gained, kept boxes under 0.9 IoU with the 640 box, reasons changed. The reference,
640/PyTorch, runs in float32: the detector as it ran before 416 px, bfloat16 and int8 were chosen.

    python benchmarks/filtering.py --detectors [--photos ../shared/photos] [--scenes 60]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

SIZES = (320, 416, 480, 640)
FRONT_VIEWS = ("front", "front_three_quarter")
REFERENCE = "pytorch 640"
Decision = dict[str, object]  # box, reason (None: a crop), doubts
Variant = dict[str, object]  # the FilterSettings of one run, by field name


def variants(pt: Path, int8: Path | None, work: Path) -> dict[str, Variant]:
    """Name -> the settings of each run. The float ONNX exports are filtering's own
    (`detector_export.onnx_export`), made here beforehand so that no run times an export."""
    from filtering.detector_export import onnx_export
    from filtering.quantize import int8_export

    found: dict[str, Variant] = {}
    for size in SIZES:
        found[f"pytorch {size}"] = {"detector": str(pt), "imgsz": size, "runtime": "pytorch"}
    for size in SIZES:
        found[f"pytorch bfloat16 {size}"] = {
            "detector": str(pt),
            "imgsz": size,
            "runtime": "pytorch",
            "precision": "bfloat16",
        }
    for size in SIZES:
        exported = onnx_export(pt, size, work / "exports")
        found[f"onnx float {size}"] = {"detector": str(exported), "imgsz": size}
    for size in SIZES:
        exported = int8_export(onnx_export(pt, size, work / "exports"), size)
        found[f"onnx int8 {size}"] = {"detector": str(exported), "imgsz": size}
    if int8 and int8.is_file():
        found["shipped int8 640"] = {"detector": str(int8), "imgsz": 640}  # its input is fixed
    for size in SIZES:
        folder = export_openvino(pt, size, work)
        if folder:
            found[f"openvino {size}"] = {"detector": str(folder), "imgsz": size}
    return found


def export_openvino(pt: Path, size: int, work: Path) -> Path | None:
    """An OpenVINO export of `pt` at `size`, or None (with why) where OpenVINO is not installed."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        print(f"no OpenVINO run at {size}: the openvino package is not installed")
        return None
    from ultralytics import YOLO

    folder = work / f"openvino{size}"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(pt, folder / pt.name)  # Ultralytics writes the export beside its weights
    try:
        made = YOLO(str(folder / pt.name)).export(format="openvino", imgsz=size, verbose=False)
    except Exception as exc:  # an export that cannot be made is reported, not fatal
        print(f"no OpenVINO export at {size}: {exc}")
        return None
    return Path(made)


def photo_list(photos: Path, scenes: Path, count: int) -> list[tuple[str, str]]:
    """(path, view) of every real photo (its folder is its view) and of `count` made scenes."""
    real = [(str(p), p.parent.name) for p in sorted(photos.rglob("*.jpg"))]
    return real + [(str(p), "scene") for p in make_scenes(scenes, count)]


def make_scenes(folder: Path, count: int, seed: int = 1) -> list[Path]:
    """Listing-like 1280x960 scenes: Ultralytics' bus photo at random places and scales (some
    cut by an edge), and one in four a plain picture without a vehicle; as JPEG files."""
    from filtering.quantize import bus_scenes

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, scene in enumerate(bus_scenes(count, seed)):
        paths.append(folder / f"scene{k:04d}.jpg")
        scene.save(paths[-1], quality=85)
    return paths


def child(variant: Variant, listing: Path) -> dict:
    """Run in a fresh process: decode, detect in batches, decide; with time and memory."""
    from filtering.detect import Detector, NoVehicle, framing_doubts, main_vehicle
    from filtering.images import load_raw
    from filtering.settings import FilterSettings

    settings = FilterSettings(
        detector=str(variant["detector"]),
        detector_imgsz=int(str(variant["imgsz"])),
        detector_runtime=str(variant.get("runtime", "onnx")),
        detector_precision=str(variant.get("precision", "float32")),
    )
    detector = Detector.from_weights(settings)
    paths = [Path(p) for p, _ in json.loads(listing.read_text())]
    decided: dict[str, Decision] = {}
    start, detecting = time.perf_counter(), 0.0
    for first in range(0, len(paths), settings.batch):
        raws = [load_raw(p, settings.max_pixels) for p in paths[first : first + settings.batch]]
        began = time.perf_counter()
        found = detector([raw.image for raw in raws])
        detecting += time.perf_counter() - began
        for raw, boxes in zip(raws, found, strict=True):
            try:
                box = main_vehicle(boxes, raw.image.size, settings)
                doubts = list(framing_doubts(box, raw.image.size, settings))
                decided[str(raw.path)] = {"box": box.as_list(), "reason": None, "doubts": doubts}
            except NoVehicle as none:
                decided[str(raw.path)] = {"box": None, "reason": none.reason, "doubts": []}
    return {
        "seconds": time.perf_counter() - start,
        "detect_seconds": detecting,
        "images": len(paths),
        "decided": decided,
        "torch_loaded": "torch" in sys.modules,
    }


def in_child(variant: Variant, listing: Path) -> dict:
    command = [sys.executable, __file__, json.dumps(variant), str(listing)]
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def iou(a: list[float], b: list[float]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area if area else 0.0


def compare(run: dict, reference: dict, views: dict[str, str]) -> dict[str, Counter[str]]:
    """Per view: crops, crops lost and gained against the reference, boxes moved, reasons."""
    per_view: dict[str, Counter[str]] = {}
    for path, mine in run["decided"].items():
        theirs = reference["decided"][path]
        counts = per_view.setdefault(views[path], Counter())
        counts["photos"] += 1
        counts["crops"] += mine["reason"] is None
        counts["lost"] += mine["reason"] is not None and theirs["reason"] is None
        counts["gained"] += mine["reason"] is None and theirs["reason"] is not None
        both = mine["box"] and theirs["box"] and mine["reason"] is None is theirs["reason"]
        counts["moved"] += bool(both) and iou(mine["box"], theirs["box"]) < 0.9
        changed = (mine["reason"], mine["doubts"]) != (theirs["reason"], theirs["doubts"])
        counts["reasons changed"] += changed
    return per_view


def report(pt: Path, int8: Path | None, photos: Path, scene_count: int, work: Path) -> None:
    listing = work / "photos.json"
    listed = photo_list(photos, work / "scenes", scene_count)
    listing.write_text(json.dumps(listed))
    views = dict(listed)
    runs = {name: in_child(variant, listing) for name, variant in variants(pt, int8, work).items()}
    print_speed(runs)
    for name, run in runs.items():
        print_decisions(name, compare(run, runs[REFERENCE], views))


def print_speed(runs: dict[str, dict]) -> None:
    print("| detector | images | detection images/s | whole images/s | peak MB | torch |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, run in runs.items():
        rates = run["images"] / run["detect_seconds"], run["images"] / run["seconds"]
        torch = "yes" if run["torch_loaded"] else "no"
        print(f"| {name} | {run['images']} | {rates[0]:.1f} | {rates[1]:.1f} |", end=" ")
        print(f"{run['peak_mb']:.0f} | {torch} |")


def print_decisions(name: str, per_view: dict[str, Counter[str]]) -> None:
    columns = ("photos", "crops", "lost", "gained", "moved", "reasons changed")
    print(f"\n{name} against {REFERENCE} (moved: a kept box under 0.9 IoU with the 640 box)")
    print("| view | " + " | ".join(columns) + " |")
    print("| --- " * (len(columns) + 1) + "|")
    for view, counts in sorted(per_view.items()):
        print(f"| {view} | " + " | ".join(str(counts[c]) for c in columns) + " |")
    fronts = sum(per_view.get(v, Counter())["lost"] + per_view.get(v, Counter())["moved"]
                 for v in FRONT_VIEWS)  # fmt: skip
    print(f"front views whose 640 crop is lost or moved: {fronts}")


if __name__ == "__main__":
    if str(Path(__file__).resolve().parents[1]) not in sys.path:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.memory import own_peak_mb

    result = child(json.loads(sys.argv[1]), Path(sys.argv[2]))
    result["peak_mb"] = own_peak_mb()
    print(json.dumps(result))
