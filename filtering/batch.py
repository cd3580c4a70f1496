"""What every filtering stage is: one object of the `Stage` protocol, working on a `Batch`.

A stage has a `name` (its row in the summary, its timer and progress bar, the `stage` of the
records it ends), the `reasons` it can give, each with the settings that govern it (the report
shows them next to each rejection), the record `fields` it writes, and a call that decides for a
whole batch. It rejects an image by taking it out of the batch (`reject`), or doubts a crop meant
for clean (`demote`): the crop then goes to questionable with the reason in its record. Nothing is
written for a batch until every stage has decided, so a rejected crop leaves no file behind, but
for the classifier's rejections, kept in crops/ for labelling.

A stage that must see all images of a model together (near-duplicates) does that in `finish`,
after the last batch. The stages and their order are listed once, in `filtering/stage_list.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

from PIL import Image

from filtering.classify import Classify
from filtering.detect import Detect
from filtering.images import BadImage, RawImage
from filtering.records import CLEAN, QUESTIONABLE, REJECTED, Record
from filtering.settings import FilterSettings


@dataclass
class Models:
    detect: Detect  # the ML models; the car model is the name of a raw/ folder
    classify: Classify | None  # None until a classifier is trained: crops go to to_label


@dataclass
class RunContext:
    """What a stage is built from: the settings, the ML models, the pixel hashes seen in earlier
    runs (hash -> image ID kept) and the worker threads."""

    settings: FilterSettings
    models: Models
    seen: dict[str, str]
    pool: Executor


@dataclass
class Batch:
    """One batch on its way through the stages: each image leaves `images` once it is cropped,
    and `crops` once it is rejected. A crop the classifier rejects moves to `labelling`: it is
    written all the same, since its mistakes are the examples the next training lacks (label
    mode shows them from `crops/`)."""

    decoded: list[tuple[Path, RawImage | BadImage]]
    records: dict[str, Record] = field(default_factory=dict)
    images: dict[str, RawImage] = field(default_factory=dict)
    crops: dict[str, Image.Image] = field(default_factory=dict)
    reused: set[str] = field(default_factory=set)  # crops read back from their files, not cut
    labelling: dict[str, Image.Image] = field(default_factory=dict)


# reason -> the settings that govern it (a reason with a `:` detail is listed whole, or by its head)
Reasons = Mapping[str, tuple[str, ...]]


class Stage(Protocol):
    def __init__(self, run: RunContext) -> None: ...

    name: ClassVar[str]
    reasons: ClassVar[Reasons]
    fields: ClassVar[tuple[str, ...]]

    def __call__(self, batch: Batch) -> None: ...

    def finish(self, records: dict[str, Record], records_path: Path) -> list[Record]:
        """After the last batch: decide what needs all of a model's records; the records
        decided (already appended to `records_path`)."""
        ...

    def warnings(self) -> list[str]:
        """After `finish`: what the user must know about images the stage could not judge."""
        ...


class BatchStage:
    """What most stages share: nothing to do after the last batch."""

    name: ClassVar[str]
    reasons: ClassVar[Reasons] = {}
    fields: ClassVar[tuple[str, ...]] = ()

    def finish(self, records: dict[str, Record], records_path: Path) -> list[Record]:
        return []

    def warnings(self) -> list[str]:
        return []


def reject(record: Record, stage: str, reason: str | None, message: str | None = None) -> None:
    record.update(fate=REJECTED, stage=stage, reason=reason)
    if message:
        record["message"] = message


def demote(record: Record, reason: str) -> None:
    """A doubt about a crop: noted in its record, and a crop meant for clean is questionable.
    (A crop whose set is not chosen yet is demoted when it is: see `settle`.)"""
    doubts = record.setdefault("doubts", [])
    if reason not in doubts:
        doubts.append(reason)
    settle(record)


def settle(record: Record) -> None:
    """A crop meant for clean that carries doubts goes to questionable, its first doubt the
    reason."""
    if record.get("target") == CLEAN and record.get("doubts"):
        record.update(target=QUESTIONABLE, reason=record["doubts"][0])
