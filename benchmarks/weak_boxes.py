"""Benchmark: what the weak-box rule adds, per view, on real photos and generated scenes.

    python benchmarks/weak_boxes.py [--photos ../shared/photos/lire-ferrari] [--scenes 40]

The detector runs once per photo, asked down to the lowest floor tried; each `--weak-vehicle-conf`
is then decided over the same boxes by `filtering.detect.main_vehicle`, the rule run.py applies.
Reported per view and floor: photos that give a crop, of them kept by a weak box (which can only
go to questionable), and the rejections by reason. Generated scenes (benchmarks/detector_choice)
and pictures without a vehicle (tests/filter/scenes.empty_scene) show what a floor lets in that
is no car. Results also go to benchmarks/out/weak_boxes.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("YOLO_OFFLINE", "1")

from PIL import Image

from benchmarks.detector_choice import make_scenes
from filtering.detect import Box, Detector, NoVehicle, main_vehicle
from filtering.settings import FilterSettings
from tests.filter.scenes import empty_scene

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FLOORS = (0.0, 0.1, 0.15, 0.2)  # 0: the rule off


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--photos", type=Path, default=SHARED / "photos" / "lire-ferrari")
    p.add_argument("--detector", default=str(SHARED / "models" / "yolov8n.pt"))
    p.add_argument("--scenes", type=int, default=40, help="generated scenes with the bus")
    p.add_argument("--empty", type=int, default=20, help="generated pictures without a vehicle")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "weak_boxes.json")
    return p.parse_args()


def pictures(args: Any, work: Path) -> list[tuple[str, str, Image.Image]]:
    """(name, view, image) of every photo, scene and empty picture."""
    found = [
        (p.relative_to(args.photos).as_posix(), p.parent.name, p)
        for p in sorted(args.photos.rglob("*.jpg"))
    ]
    found += [(p.name, "scene", p) for p in make_scenes(work, args.scenes)]
    out = [(name, view, Image.open(path).convert("RGB")) for name, view, path in found]
    return out + [(f"empty{k}", "no_vehicle", empty_scene(k)) for k in range(args.empty)]


def decide(boxes: list[Box], size: tuple[int, int], settings: FilterSettings) -> str:
    try:
        box = main_vehicle(boxes, size, settings)
    except NoVehicle as none:
        return f"rejected:{none.reason}"
    return "weak" if box.conf < settings.detector_conf else "sure"


def tally(decided: dict[str, dict[str, str]], views: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for floor in map(str, FLOORS):
        rows: dict[str, Any] = {}
        for view in sorted(set(views.values())):
            fates = Counter(decided[floor][n] for n, v in views.items() if v == view)
            crops = fates["sure"] + fates["weak"]
            rejected = {k: n for k, n in sorted(fates.items()) if k.startswith("rejected")}
            rows[view] = {
                "photos": sum(fates.values()),
                "crops": crops,
                "weak": fates["weak"],
                **rejected,
            }
        out[floor] = rows
    return out


def main() -> None:
    args = parse_args()
    base = FilterSettings(detector=args.detector)
    low = dataclasses.replace(base, weak_vehicle_conf=min(f for f in FLOORS if f > 0))
    detector = Detector.from_weights(low)
    with tempfile.TemporaryDirectory(prefix="scars-weak-") as work_dir:
        listed = pictures(args, Path(work_dir))
    found = [detector([image])[0] for _, _, image in listed]
    views = {name: view for name, view, _ in listed}
    decided = {
        str(floor): {
            name: decide(boxes, image.size, dataclasses.replace(base, weak_vehicle_conf=floor))
            for (name, _, image), boxes in zip(listed, found, strict=True)
        }
        for floor in FLOORS
    }
    gained = {str(f): sorted(n for n, d in decided[str(f)].items() if d == "weak") for f in FLOORS}
    results = {"floors": tally(decided, views), "kept_by_a_weak_box": gained}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    for floor, rows in results["floors"].items():
        print(f"== --weak-vehicle-conf {floor}")
        for view, row in rows.items():
            print(f"  {view:<20} " + ", ".join(f"{k} {n}" for k, n in row.items()))
        print(f"  kept by a weak box: {', '.join(gained[floor]) or '-'}")
    print(f"numbers: {args.out}")


if __name__ == "__main__":
    main()
