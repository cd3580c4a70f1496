"""Benchmark: the quality stage's measures on real crops and on spoiled copies of them.

Each photo of `--photos` (any folder of `<view>/*.jpg`) is cropped to its largest vehicle box by
the real detector, as filtering does; the crop is measured as it is and after each spoiling:
focus blur (Gaussian, radius 3), motion blur (a 15-pixel horizontal smear), under-exposure
(x0.2), over-exposure (x3, clipped) and fog (flattened to 15 % contrast around mid-grey). It
prints, per variant, the quantiles of each measure and how many crops the current thresholds
doubt, so that the thresholds can be chosen where real crops pass and spoiled ones do not. The
photos are credited in their folder's ATTRIBUTION.csv. Results also go to
benchmarks/out/crop_quality.json.

    python benchmarks/crop_quality.py [--photos ../shared/photos/lire-ferrari] [--detector FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from filtering.detect import Detector, crop
from filtering.quality import Measures, doubts, measure
from filtering.settings import FilterSettings

REPO = Path(__file__).resolve().parents[1]
QUANTILES = (0, 1, 5, 50, 95, 99, 100)
SHARED = REPO.parent / "shared"


def motion_blur(image: Image.Image, length: int = 15) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float32)
    padded = np.pad(pixels, ((0, 0), (length // 2, length // 2), (0, 0)), mode="edge")
    summed = np.cumsum(padded, axis=1)
    summed = np.concatenate([np.zeros_like(summed[:, :1]), summed], axis=1)
    smeared = (summed[:, length:] - summed[:, :-length]) / length
    return Image.fromarray(np.clip(smeared, 0, 255).astype(np.uint8))


def fog(image: Image.Image) -> Image.Image:
    return ImageEnhance.Contrast(image).enhance(0.15)


VARIANTS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "real": lambda image: image,
    "focus_blur": lambda image: image.filter(ImageFilter.GaussianBlur(3)),
    "motion_blur": motion_blur,
    "dark": lambda image: ImageEnhance.Brightness(image).enhance(0.2),
    "bright": lambda image: ImageEnhance.Brightness(image).enhance(3.0),
    "fog": fog,
}


def crops(photos: Path, detector: str) -> list[tuple[str, Image.Image]]:
    settings = FilterSettings(detector=detector)
    detect = Detector.from_weights(settings)
    found = []
    for path in sorted(photos.glob("*/*.jpg")):
        image = Image.open(path).convert("RGB")
        boxes = detect([image])[0]
        if boxes:
            box = max(boxes, key=lambda b: b.area)
            found.append((f"{path.parent.name}/{path.name}", crop(image, box, 0.05)))
    return found


def summary(measured: list[Measures], settings: FilterSettings) -> dict[str, object]:
    out: dict[str, object] = {"crops": len(measured)}
    for name in vars(measured[0]):
        values = np.array([getattr(m, name) for m in measured])
        out[name] = {f"p{q}": round(float(np.percentile(values, q)), 3) for q in QUANTILES}
    reasons: dict[str, int] = {}
    for m in measured:
        for reason in doubts(m, settings):
            reasons[reason] = reasons.get(reason, 0) + 1
    out["doubted"] = sum(1 for m in measured if doubts(m, settings))
    out["reasons"] = reasons
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--photos", type=Path, default=SHARED / "photos" / "lire-ferrari")
    p.add_argument("--detector", default=str(SHARED / "models" / "yolov8n.pt"))
    args = p.parse_args()
    settings = FilterSettings()
    found = crops(args.photos, args.detector)
    results: dict[str, object] = {}
    doubted_real: list[str] = []
    for variant, spoil in VARIANTS.items():
        measured = [measure(spoil(image)) for _, image in found]
        results[variant] = summary(measured, settings)
        if variant == "real":
            doubted_real = [
                n for (n, _), m in zip(found, measured, strict=True) if doubts(m, settings)
            ]
        print(variant, json.dumps(results[variant]))
    results["real_doubted"] = doubted_real
    print("real crops doubted:", ", ".join(doubted_real) or "none")
    out = REPO / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "crop_quality.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
