"""The stages before the near-duplicates, for one batch of raw images: load, exact duplicates,
detect and crop, classify. Each is one object of the `batch.Stage` protocol.

Each image leaves with a record: a final fate, or CANDIDATE with the set it is meant for
(`target`), which the near-duplicate stage then decides over all candidates of the model together.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from filtering.batch import Batch, BatchStage, Models, Reasons, RunContext, demote, reject, settle
from filtering.classify import clean_threshold, reject_threshold, route
from filtering.detect import Box, NoVehicle, crop, framing_doubts, main_vehicle
from filtering.images import BadImage, RawImage, load_raw
from filtering.listing import SAME_NAME, NameTaken, skipped_id
from filtering.records import CANDIDATE, DUPLICATE, REJECTED, TO_LABEL, Record, new_record
from filtering.settings import FilterSettings

__all__ = ["ClassifyStage", "DetectStage", "ExactDuplicates", "Load", "Models", "decode"]


def decode(path: Path, settings: FilterSettings) -> tuple[Path, RawImage | BadImage]:
    """Runs in worker threads, next to inference: Pillow decodes without holding the GIL."""
    try:
        return path, load_raw(path, settings.max_pixels)
    except BadImage as bad:
        return path, bad
    except OSError as exc:
        return path, BadImage("unreadable", f"{path}: cannot read the file ({exc})")


class Load(BatchStage):
    """Every decoded image gets its record; an unusable file is rejected with its reason, and a
    photo whose image ID another one has is recorded under its source as skipped."""

    name = "load"
    reasons: ClassVar[Reasons] = {
        "empty_file": (),
        "corrupt": (),
        "not_an_image": (),
        "unreadable": (),
        "too_small": (),
        "too_large": ("max_pixels",),
        SAME_NAME: (),
    }
    fields: ClassVar[tuple[str, ...]] = (
        "image_id",
        "source",
        "pixel_sha256",
        "source_mode",
        "message",
    )

    def __init__(self, run: RunContext) -> None:
        self.data = run.settings.data

    def __call__(self, batch: Batch) -> None:
        for path, result in batch.decoded:
            skipped = isinstance(result, NameTaken)  # its stem is another photo's image ID
            image_id = skipped_id(path, self.data) if skipped else path.stem
            record = batch.records[image_id] = new_record(image_id, path, self.data)
            if isinstance(result, BadImage):
                reject(record, self.name, result.reason, str(result))
            else:
                record.update(pixel_sha256=result.pixel_sha256, source_mode=result.source_mode)
                batch.images[path.stem] = result


class ExactDuplicates(BatchStage):
    """Keep the first image of each pixel hash (across runs: `seen` comes from the records)."""

    name = "exact_duplicates"
    reasons: ClassVar[Reasons] = {"same_pixels": ()}
    fields: ClassVar[tuple[str, ...]] = ("duplicate_of",)

    def __init__(self, run: RunContext) -> None:
        self.seen = run.seen  # pixel hash -> image ID kept for it

    def __call__(self, batch: Batch) -> None:
        for image_id, raw in list(batch.images.items()):
            first = self.seen.setdefault(raw.pixel_sha256, image_id)
            if first != image_id:
                record = batch.records[image_id]
                record.update(fate=DUPLICATE, stage=self.name, reason="same_pixels")
                record["duplicate_of"] = first
                del batch.images[image_id]


class DetectStage(BatchStage):
    """The main vehicle of each photo, cropped; the detector's doubts about a kept box demote."""

    name = "detect"
    reasons: ClassVar[Reasons] = {
        "no_vehicle": ("detector_conf",),
        "vehicle_too_small": ("min_box_area",),
        "vehicle_cut_off": ("edge_margin",),
        # Doubts: the crop is kept, but cannot be clean.
        "cut_left": ("edge_margin",),
        "cut_right": ("edge_margin",),
        "cut_top": ("edge_margin",),
        "small_vehicle": ("doubt_box_area",),
        "weak_vehicle": ("weak_vehicle_conf",),
    }
    fields: ClassVar[tuple[str, ...]] = (
        "box",
        "detector_class",
        "detector_conf",
        "crop_size",
        "doubts",
    )

    def __init__(self, run: RunContext) -> None:
        self.detect = run.models.detect
        self.settings = run.settings

    def __call__(self, batch: Batch) -> None:
        ids = list(batch.images)
        found = self.detect([batch.images[i].image for i in ids])
        for image_id, boxes in zip(ids, found, strict=True):
            raw = batch.images.pop(image_id)
            record = batch.records[image_id]
            try:
                box = main_vehicle(boxes, raw.image.size, self.settings)
            except NoVehicle as none:
                _note_box(record, none.box)
                reject(record, self.name, none.reason)
                continue
            _note_box(record, box)
            for doubt in framing_doubts(box, raw.image.size, self.settings):
                demote(record, doubt)
            image = batch.crops[image_id] = crop(raw.image, box, self.settings.crop_margin)
            record["crop_size"] = [image.width, image.height]


class ClassifyStage(BatchStage):
    """Front, angled front or other: the set each crop is meant for (to_label without a
    classifier)."""

    name = "classify"
    reasons: ClassVar[Reasons] = {
        "not_front": ("classifier",),
        "not_front:likely_other": ("classifier", "other_conf"),
        "front_low_confidence": ("front_conf",),
        "front_angled": ("classifier",),
        "front_views_likelier": ("classifier", "other_conf"),
    }
    fields: ClassVar[tuple[str, ...]] = (
        "classifier_label",
        "classifier_conf",
        "classifier_other",
        "target",
    )

    def __init__(self, run: RunContext) -> None:
        self.classify = run.models.classify
        self.front_conf = clean_threshold(run.settings)
        self.other_conf = reject_threshold(run.settings)

    def __call__(self, batch: Batch) -> None:
        ids = list(batch.crops)
        if self.classify is None:
            for image_id in ids:
                batch.records[image_id].update(fate=CANDIDATE, stage=self.name, target=TO_LABEL)
            return
        verdicts = self.classify([batch.crops[i] for i in ids])
        for image_id, verdict in zip(ids, verdicts, strict=True):
            record = batch.records[image_id]
            record.update(classifier_label=verdict.label, classifier_conf=verdict.conf)
            if verdict.other is not None:
                record.update(classifier_other=verdict.other)
            fate, reason = route(verdict, self.front_conf, self.other_conf)
            if fate == REJECTED:
                reject(record, self.name, reason)
                batch.labelling[image_id] = batch.crops.pop(image_id)
            else:
                record.update(fate=CANDIDATE, stage=self.name, target=fate, reason=reason)
                settle(record)


def _note_box(record: Record, box: Box | None) -> None:
    if box is not None:
        record.update(box=box.as_list(), detector_class=box.cls, detector_conf=round(box.conf, 4))
