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


def labelled_crops(bus_photo: Path, folder: Path, per_class: int = 12) -> Path:
    """A labelled folder in Ultralytics' classify layout: colour bus crops are `front`, grey
    ones `front_angled`, pictures without a vehicle `other`; jittered so that no two are alike.
    """
    bus = bus_scene(bus_photo).crop((230, 200, 1070, 800))
    people = Image.open(bus_photo.parent / "zidane.jpg").convert("RGB")
    for split, count in (("train", per_class), ("val", max(2, per_class // 3))):
        for k in range(count):
            dx, dy = (k * 7) % 40, (k * 11) % 30
            jittered = bus.crop((dx, dy, bus.width - 40 + dx, bus.height - 30 + dy))
            others = [empty_scene(k + 100), people.crop((k * 20, 0, 600 + k * 20, 500))]
            for label, image in (
                ("front", jittered),
                ("front_angled", gray(jittered)),
                ("other", others[k % 2]),
            ):
                target = folder / split / label / f"{k:03d}.jpg"
                target.parent.mkdir(parents=True, exist_ok=True)
                image.resize((96, 72)).save(target, quality=90)
    return folder


def raw_folder(bus_photo: Path, raw: Path) -> None:
    """A model folder in the crawler's layout with one image of every kind the stages meet.

    a, b, c: one bus photo, twice on other backgrounds and once smaller (near-duplicates);
    a_copy: a's pixels in a PNG (an exact duplicate); m: the photo mirrored (a different picture),
    m_cmyk: m on another background, saved as CMYK (its near-duplicate); cut: a detail, the
    middle of the bus filling the frame from its top edge to both sides; small: a bus far away;
    empty1, empty2, people: no vehicle; broken_*: an empty file, a truncated JPEG and an HTML page.
    """
    raw.mkdir(parents=True)
    scene = bus_scene(bus_photo)
    scene.save(raw / "a.jpg", quality=92)
    Image.open(raw / "a.jpg").save(raw / "a_copy.png")
    bus_scene(bus_photo, (40, 70, 30)).save(raw / "b.jpg", quality=92)
    scene.resize((910, 770)).save(raw / "c.jpg", quality=80)
    ImageOps.mirror(scene).save(raw / "m.jpg", quality=92)
    ImageOps.mirror(bus_scene(bus_photo, (90, 60, 60))).convert("CMYK").save(raw / "m_cmyk.jpg")
    Image.open(bus_photo).crop((100, 300, 700, 700)).save(raw / "cut.jpg")
    small = Image.new("RGB", (2000, 1600), (100, 100, 100))
    # 0.045 of the photo: under --min-box-area, yet large enough for a sure box in int8.
    small.paste(Image.open(bus_photo).resize((330, 440)), (800, 600))
    small.save(raw / "small.jpg")
    empty_scene(1).save(raw / "empty1.jpg")
    empty_scene(2).save(raw / "empty2.webp")
    Image.open(bus_photo.parent / "zidane.jpg").save(raw / "people.jpg")
    (raw / "broken_empty.jpg").write_bytes(b"")
    (raw / "broken_truncated.jpg").write_bytes((raw / "a.jpg").read_bytes()[:4000])
    (raw / "broken_page.jpg").write_bytes(b"<html><body>Please verify you are human</body></html>")
    (raw / "manifest.jsonl").write_text('{"image_id": "a"}\n')


# What the stages decide for raw_folder: image ID -> (fate, stage, reason).
EXPECTED = {
    "a_copy": ("duplicate", "exact_duplicates", "same_pixels"),
    "cut": ("rejected", "detect", "vehicle_cut_off"),
    "small": ("rejected", "detect", "vehicle_too_small"),
    "empty1": ("rejected", "detect", "no_vehicle"),
    "empty2": ("rejected", "detect", "no_vehicle"),
    "people": ("rejected", "detect", "no_vehicle"),
    "broken_empty": ("rejected", "load", "empty_file"),
    "broken_truncated": ("rejected", "load", "corrupt"),
    "broken_page": ("rejected", "load", "not_an_image"),
}
NEAR_GROUPS = (("a", "b", "c"), ("m", "m_cmyk"))


def train_classifier(labelled: Path, start: Path, runs: Path, epochs: int, imgsz: int) -> Path:
    """A YOLO classifier trained on `labelled` (Ultralytics' layout) from a detector's backbone."""
    from ultralytics import YOLO

    model = YOLO("yolov8n-cls.yaml").load(str(start))
    model.train(
        data=str(labelled),
        epochs=epochs,
        patience=100,
        imgsz=imgsz,
        batch=16,
        workers=0,
        seed=0,
        device="cpu",
        plots=False,
        amp=False,
        verbose=False,
        project=str(runs),
        name="classifier",
    )
    return runs / "classifier" / "weights" / "best.pt"
