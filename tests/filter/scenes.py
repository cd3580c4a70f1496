"""Images for the filtering tests, built from the one real vehicle photo at hand.

`bus_scene` puts Ultralytics' `bus.jpg` (810x1080, a bus cut off by the right edge) on a wider
canvas so that the whole bus is in frame; variants of it give duplicates and near-duplicates.
Pictures without a vehicle are drawn: gradients and shapes, never a car.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

REPO_ROOT = Path(__file__).resolve().parents[2]


def bus_scene(bus_photo: Path, background: tuple[int, int, int] = (120, 130, 140)) -> Image.Image:
    bus = Image.open(bus_photo).convert("RGB")
    canvas = Image.new("RGB", (1300, 1100), background)
    canvas.paste(bus, (245, 10))
    return canvas


def empty_scene(seed: int, size: tuple[int, int] = (960, 720)) -> Image.Image:
    """A picture with no vehicle: a gradient with a few coloured shapes."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for k in range(4):
        x, y = (seed * 97 + k * 211) % (size[0] - 120), (seed * 53 + k * 137) % (size[1] - 120)
        draw.ellipse((x, y, x + 110, y + 90), fill=((seed * 40 + k * 60) % 256, 90, 160))
    return image


def gray(image: Image.Image) -> Image.Image:
    return ImageOps.grayscale(image).convert("RGB")


def run_filtering(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python filtering/run.py` exactly as a user types it, from another folder."""
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    command = [sys.executable, str(REPO_ROOT / "filtering" / "run.py"), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
