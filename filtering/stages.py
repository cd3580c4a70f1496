"""Stages 1 to 3 for one batch of raw images: decode, exact duplicates, detect and crop, classify.

Each image leaves with a record: a final fate, or CANDIDATE with the set it is meant for, which
the near-duplicate stage then decides over all candidates of the model together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from filtering import near_dups
from filtering.classify import Classify, route
from filtering.detect import Box, Detect, NoVehicle, crop, main_vehicle
from filtering.images import BadImage, RawImage, load_raw
from filtering.records import (
    CANDIDATE,
    DUPLICATE,
    REJECTED,
    TO_LABEL,
    Record,
    new_record,
    relative,
)
from filtering.settings import FilterSettings
from filtering.store import save_jpeg

LOAD, EXACT, DETECT, CLASSIFY, NEAR = (
    "load",
    "exact_duplicates",
    "detect",
    "classify",
    "near_duplicates",
)
STAGES = (LOAD, EXACT, DETECT, CLASSIFY, NEAR)


@dataclass
class Models:
    detect: Detect
    classify: Classify | None  # None until a classifier is trained: crops go to to_label


@dataclass
class Batch:
    """One batch on its way through the stages."""

    records: dict[str, Record]
    images: dict[str, RawImage] = field(default_factory=dict)
    crops: dict[str, Image.Image] = field(default_factory=dict)


def decode(path: Path, settings: FilterSettings) -> tuple[Path, RawImage | BadImage]:
    """Runs in worker threads, next to inference: Pillow decodes without holding the GIL."""
    try:
        return path, load_raw(path, settings.max_pixels)
    except BadImage as bad:
        return path, bad
    except OSError as exc:
        return path, BadImage("unreadable", f"{path}: cannot read the file ({exc})")


def start_batch(decoded: Sequence[tuple[Path, RawImage | BadImage]], data: Path) -> Batch:
    batch = Batch(records={})
    for path, result in decoded:
        record = batch.records[path.stem] = new_record(path.stem, path, data)
        if isinstance(result, BadImage):
            _reject(record, LOAD, result.reason, str(result))
        else:
            record["pixel_sha256"] = result.pixel_sha256
            record["source_mode"] = result.source_mode
            batch.images[path.stem] = result
    return batch


def drop_exact_duplicates(batch: Batch, seen: dict[str, str]) -> None:
    """Keep the first image of each pixel hash (`seen`: hash -> image ID, across runs)."""
    for image_id, raw in list(batch.images.items()):
        first = seen.setdefault(raw.pixel_sha256, image_id)
        if first != image_id:
            record = batch.records[image_id]
            record.update(fate=DUPLICATE, stage=EXACT, reason="same_pixels", duplicate_of=first)
            del batch.images[image_id]


def detect_and_crop(batch: Batch, detect: Detect, settings: FilterSettings) -> None:
    ids = list(batch.images)
    found = detect([batch.images[i].image for i in ids])
    for image_id, boxes in zip(ids, found, strict=True):
        raw = batch.images.pop(image_id)
        record = batch.records[image_id]
        try:
            box = main_vehicle(boxes, raw.image.size, settings)
        except NoVehicle as none:
            _note_box(record, none.box)
            _reject(record, DETECT, none.reason)
            continue
        _note_box(record, box)
        batch.crops[image_id] = crop(raw.image, box, settings.crop_margin)


def classify(batch: Batch, classify_crops: Classify | None, settings: FilterSettings) -> None:
    ids = list(batch.crops)
    if classify_crops is None:
        for image_id in ids:
            batch.records[image_id].update(fate=CANDIDATE, stage=CLASSIFY, target=TO_LABEL)
        return
    for image_id, verdict in zip(ids, classify_crops([batch.crops[i] for i in ids]), strict=True):
        record = batch.records[image_id]
        record.update(classifier_label=verdict.label, classifier_conf=verdict.conf)
        fate, reason = route(verdict, settings.front_conf)
        if fate == REJECTED:
            _reject(record, CLASSIFY, reason)
            del batch.crops[image_id]
        else:
            record.update(fate=CANDIDATE, stage=CLASSIFY, target=fate, reason=reason)


def store_crops(
    batch: Batch, folder: Path, pool: Executor, settings: FilterSettings
) -> list[Callable[[], None]]:
    """Write every crop that got this far and hash it, in the worker threads."""
    jobs = []
    for image_id, image in batch.crops.items():
        record = batch.records[image_id]
        path = folder / f"{image_id}.jpg"
        record.update(crop=relative(path, settings.data), crop_size=[image.width, image.height])
        jobs.append(pool.submit(_store_crop, image, path, record, settings.jpeg_quality))
    return [job.result for job in jobs]


def _store_crop(image: Image.Image, path: Path, record: Record, quality: int) -> None:
    record["phash"] = near_dups.phash(image)
    save_jpeg(image, path, quality)


def _note_box(record: Record, box: Box | None) -> None:
    if box is not None:
        record.update(box=box.as_list(), detector_class=box.cls, detector_conf=round(box.conf, 4))


def _reject(record: Record, stage: str, reason: str | None, message: str | None = None) -> None:
    record.update(fate=REJECTED, stage=stage, reason=reason)
    if message:
        record["message"] = message
