"""Benchmark: decoding no larger than the detector needs, measured as the whole per-image work.

Three ways to feed the detector, each timed per image over the same photos, in one process,
rounds interleaved so that a change in the machine's load touches every way alike:
- `full`: today's path. Decode at full size, hash the pixels, detect on the full image.
- `draft`: decode the JPEG at reduced scale (Pillow's `draft`, the smallest DCT scale still at
  least the detector's input size), detect on that; decode at full size and hash the pixels only
  where there is a main vehicle (the crop needs them, and so does the exact-duplicate check).
- `reduced`: decode at full size and hash, detect on a copy scaled to the detector's input size.
Each way's main-vehicle decisions are compared with `full`'s (crops lost or gained, boxes under
0.9 IoU).

    python benchmarks/filtering.py --decoding [--photos ../shared/photos] [--scenes 60]
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from benchmarks.detector_choice import iou, make_scenes
from filtering.detect import Box, Detector, NoVehicle, main_vehicle
from filtering.images import pixel_sha256, to_rgb
from filtering.settings import FilterSettings

Way = Callable[[Path], tuple[Image.Image, tuple[int, int]]]  # detector input, full size


def report(photos: Path, scene_count: int, work: Path, settings: FilterSettings) -> None:
    detector = Detector.from_weights(settings)
    sets = {
        "real photos": sorted(photos.rglob("*.jpg")),
        "1280x960 scenes": make_scenes(work / "scenes", scene_count),
    }
    for name, paths in sets.items():
        seconds: Counter[str] = Counter()
        decided: dict[str, list[Box | None]] = {}
        for _ in range(2):
            for way in ("full", "draft", "reduced"):
                seconds[way] += run_way(way, paths, detector, settings, decided)
        print(f"\n{name}: {len(paths)} photos, two rounds each")
        print("| way | ms per image | images/s | crops | lost | gained | moved |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for way, spent in seconds.items():
            per_image = spent / (2 * len(paths))
            counts = compare(decided[way], decided["full"])
            print(f"| {way} | {per_image * 1000:.1f} | {1 / per_image:.1f} |", end=" ")
            print(" | ".join(str(counts[c]) for c in ("crops", "lost", "gained", "moved")), "|")


def run_way(
    way: str,
    paths: list[Path],
    detector: Detector,
    settings: FilterSettings,
    decided: dict[str, list[Box | None]],
) -> float:
    start = time.perf_counter()
    found: list[Box | None] = []
    for first in range(0, len(paths), settings.batch):
        chunk = paths[first : first + settings.batch]
        inputs = [_input(way, path, settings.detector_imgsz) for path in chunk]
        boxes = detector([image for image, _ in inputs])
        for path, (image, size), image_boxes in zip(chunk, inputs, boxes, strict=True):
            box = _main(image_boxes, image.size, size, settings)
            if box is not None and way == "draft":
                pixel_sha256(_full(path))  # the crop's decode and the duplicate check's hash
            found.append(box)
    decided[way] = found
    return time.perf_counter() - start


def _input(way: str, path: Path, imgsz: int) -> tuple[Image.Image, tuple[int, int]]:
    if way == "draft":
        with Image.open(path) as opened:
            size = opened.size
            scale = imgsz / max(size)
            opened.draft("RGB", (round(size[0] * scale), round(size[1] * scale)))
            return to_rgb(opened.convert("RGB")), size
    image = _full(path)
    pixel_sha256(image)
    if way == "reduced":
        scale = imgsz / max(image.size)
        small = (round(image.width * scale), round(image.height * scale))
        return image.resize(small, Image.Resampling.BILINEAR), image.size
    return image, image.size


def _full(path: Path) -> Image.Image:
    with Image.open(path) as opened:
        return to_rgb(opened.convert("RGB"))


def _main(
    boxes: list[Box], seen: tuple[int, int], size: tuple[int, int], settings: FilterSettings
) -> Box | None:
    """The main vehicle in full-size coordinates, or None."""
    sx, sy = size[0] / seen[0], size[1] / seen[1]
    scaled = [Box(b.x1 * sx, b.y1 * sy, b.x2 * sx, b.y2 * sy, b.conf, b.cls) for b in boxes]
    try:
        return main_vehicle(scaled, size, settings)
    except NoVehicle:
        return None


def compare(mine: list[Box | None], full: list[Box | None]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for a, b in zip(mine, full, strict=True):
        counts["crops"] += a is not None
        counts["lost"] += a is None and b is not None
        counts["gained"] += a is not None and b is None
        if a is not None and b is not None:
            counts["moved"] += iou(a.as_list(), b.as_list()) < 0.9
    return counts
