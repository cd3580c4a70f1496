"""Labelled crops made in the tests, in the layout train.py reads: `<folder>/<class>/*.jpg`.

`shape_crops`: three visually distinct synthetic classes (a red box, a green wedge, a blue disc
on a random grey), jittered so that no two are alike. `bus_crops`: the one real vehicle photo at
hand: colour crops of the bus are `front`, grey ones `front_angled`, pictures without a vehicle
`other`, so that a model trained on them routes the bus of `filtering/run.py` to `clean`.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

from filtering.records import RECORDS_NAME, Record, append_records, new_record, relative
from tests.filter.scenes import bus_scene, empty_scene

COLOURS = {"front": (200, 40, 40), "front_angled": (40, 180, 40), "other": (40, 60, 200)}


def shape_crops(folder: Path, per_class: int, seed: int = 0, size: int = 64) -> Path:
    rng = random.Random(seed)
    for label, colour in COLOURS.items():
        (folder / label).mkdir(parents=True, exist_ok=True)
        for k in range(per_class):
            background = tuple(rng.randint(90, 160) for _ in range(3))
            image = Image.new("RGB", (size, size), background)
            _draw(ImageDraw.Draw(image), label, colour, rng.randint(0, 16), rng.randint(0, 16))
            image.save(folder / label / f"{label}_{seed}_{k:03d}.jpg", quality=90)
    return folder


def _draw(
    draw: ImageDraw.ImageDraw, label: str, colour: tuple[int, int, int], x: int, y: int
) -> None:
    if label == "front":
        draw.rectangle((x, y, x + 40, y + 30), fill=colour)
    elif label == "front_angled":
        draw.polygon([(x, y + 40), (x + 40, y), (x + 44, y + 10)], fill=colour)
    else:
        draw.ellipse((x, y, x + 36, y + 36), fill=colour)


def bus_crops(bus_photo: Path, folder: Path, per_class: int) -> Path:
    bus = bus_scene(bus_photo).crop((230, 200, 1070, 800))
    people = Image.open(bus_photo.parent / "zidane.jpg").convert("RGB")
    for k in range(per_class):
        dx, dy = (k * 7) % 40, (k * 11) % 30
        jittered = bus.crop((dx, dy, bus.width - 40 + dx, bus.height - 30 + dy))
        grey = ImageOps.grayscale(jittered).convert("RGB")
        other = empty_scene(k + 100) if k % 2 else people.crop((k * 20, 0, 600 + k * 20, 500))
        for label, image in (("front", jittered), ("front_angled", grey), ("other", other)):
            (folder / label).mkdir(parents=True, exist_ok=True)
            image.resize((96, 72)).save(folder / label / f"{k:03d}.jpg", quality=90)
    return folder


# The review of `reviewed_folder`: (image ID, the set filtering put it in, the set a person moved
# it to); each move is a label: clean -> front, questionable -> front_angled, rejected -> other.
REVIEW_MOVES = [
    ("front_5_000", "questionable", "clean"),
    ("front_5_001", "questionable", "clean"),
    ("front_angled_5_000", "clean", "questionable"),
    ("other_5_000", "clean", "rejected"),
    ("other_5_001", "questionable", "rejected"),
]
NOT_REVIEWED = "front_5_002"  # stays in clean: no move, no label


def reviewed_folder(data: Path, model: str = "cars") -> Path:
    """`data/final/<model>` after a filtering run and a review that applied `REVIEW_MOVES`,
    written by the review tool's own session."""
    from review_tool.session import ReviewSession, SessionConfig

    shapes = shape_crops(data / "shapes", per_class=3, seed=5)
    final = data / "final" / model
    records = []
    placed = [(i, before) for i, before, _ in REVIEW_MOVES] + [(NOT_REVIEWED, "clean")]
    for image_id, before in placed:
        label = image_id.rsplit("_5_", 1)[0]
        records.append(_filtered(data, model, shapes / label / f"{image_id}.jpg", before))
    append_records(final / RECORDS_NAME, records)
    session = ReviewSession(SessionConfig(folder=final))
    for image_id, _, after in REVIEW_MOVES:
        session.decide([image_id], after)
    session.apply()
    return final


def _filtered(data: Path, model: str, shape: Path, fate: str) -> Record:
    """The record and files of a crop that filtering placed in `fate`."""
    crop = data / "crops" / model / shape.name
    output = data / "final" / model / fate / shape.name
    for path in (crop, output):
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shape, path)
    record = new_record(shape.stem, data / "raw" / model / shape.name, data)
    record.update(fate=fate, stage="classify", crop=relative(crop, data))
    record.update(output=relative(output, data), classifier_label="front", classifier_conf=0.9)
    return record
