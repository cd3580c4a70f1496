"""Crops that waited in `to_label/` for a classifier, classified from their crop files.

A run without a classifier detects and crops every photo, and the crops wait in `to_label/`. The
run after a classifier is trained must not detect them again (the detector is most of a run's
time): each waiting crop is read back from `crops/<model>/` and joins the stages after detection,
with the box, pixel hash and doubts of its record. A waiting image whose crop file is gone or
unreadable is done again from its photo.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from pathlib import Path

from PIL import Image

from filtering.batch import Batch
from filtering.records import TO_LABEL, Record
from filtering.settings import FilterSettings

# What the stages after detection decide again (as a new record has them); the rest is kept.
DECIDED_AGAIN = dict.fromkeys(
    ("fate", "stage", "reason", "output", "classifier_label", "classifier_conf", "duplicate_of")
)


def split_waiting(
    paths: Sequence[Path], known: dict[str, Record], data: Path
) -> tuple[list[Path], list[Record]]:
    """The photos to do from the start, and the waiting records whose crop file is there."""
    photos, waiting = [], []
    for path in paths:
        record = known.get(path.stem)
        crop = record.get("crop") if record is not None else None
        if record is not None and record["fate"] == TO_LABEL and crop and (data / crop).is_file():
            waiting.append(record)
        else:
            photos.append(path)
    return photos, waiting


def waiting_batches(
    waiting: Sequence[Record],
    settings: FilterSettings,
    pool: Executor,
    unreadable: list[str],
) -> Iterator[Batch]:
    """Batches of waiting crops, read in the worker threads; the IDs of crops that cannot be
    read are added to `unreadable` (their photos are done from the start)."""
    for start in range(0, len(waiting), settings.batch):
        chunk = waiting[start : start + settings.batch]
        crops = pool.map(lambda r: _read_crop(settings.data / str(r["crop"])), chunk)
        batch = Batch([])
        for record, image in zip(chunk, crops, strict=True):
            if image is None:
                unreadable.append(record["image_id"])
                continue
            image_id = record["image_id"]
            batch.records[image_id] = _undecided(record)
            batch.crops[image_id] = image
            batch.reused.add(image_id)
        if batch.records:
            yield batch


def _undecided(record: Record) -> Record:
    kept = {k: v for k, v in record.items() if k not in ("target", "message")}
    return kept | DECIDED_AGAIN | {"doubts": list(record.get("doubts") or [])}


def _read_crop(path: Path) -> Image.Image | None:
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
