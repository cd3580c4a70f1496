"""Review corrections as labels: what a person moved in the review tool is what the classifier got
wrong, so the next training learns it.

The review tool records each move it applies in `final/<model>/records.jsonl` (stage `review`,
reason `moved_to_<set>`). The set an image was moved to says its class: moved to `clean`, a
straight front (`front`); to `questionable`, a front view that is not straight on
(`front_angled`); to `rejected`, not a front view (`other`). Only an image's last record counts:
a later filtering run or review move supersedes an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from filtering.classes import FRONT, FRONT_ANGLED, OTHER
from filtering.records import (
    CLEAN,
    QUESTIONABLE,
    RECORDS_NAME,
    REJECTED,
    REVIEW_STAGE,
    Record,
    read_records,
)
from filtering.training.labelled import DataError, Item, LabelledSet, Skipped, unreadable_reason

LABEL_OF_SET = {CLEAN: FRONT, QUESTIONABLE: FRONT_ANGLED, REJECTED: OTHER}


@dataclass
class Reviewed:
    folder: Path  # a data/final/<model> folder
    items: list[Item] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    bad_lines: int = 0  # record lines that could not be read (a torn last line after a kill)


def read_reviewed(final: Path) -> Reviewed:
    """The crops a review moved, labelled by the set they were moved to."""
    path = final / RECORDS_NAME
    if not path.is_file():
        raise DataError(
            f"no review records: {path} not found (--reviewed takes a data/final/<model> folder)"
        )
    records = read_records(path)
    found = Reviewed(final, bad_lines=records.bad_lines)
    data = final.parent.parent  # paths in records are relative to the data folder
    for record in records.by_id.values():
        label = LABEL_OF_SET.get(str(record.get("fate")))
        if record.get("stage") == REVIEW_STAGE and label is not None:
            _add(found, record, label, data)
    return found


def _add(found: Reviewed, record: Record, label: str, data: Path) -> None:
    candidates = [data / str(record[key]) for key in ("output", "crop") if record.get(key)]
    readable = [p for p in candidates if p.is_file() and unreadable_reason(p) is None]
    if readable:
        found.items.append(Item(readable[0], label))
    else:
        where = candidates[0] if candidates else data / str(record.get("image_id"))
        found.skipped.append(Skipped(where, "reviewed, but its crop is missing or unreadable"))


def merged(labelled: LabelledSet, reviews: list[Reviewed]) -> tuple[LabelledSet, int]:
    """The labelled set with the reviewed crops added, and how many labels a review changed.

    A crop labelled in the folder and moved by a review later (same image ID) keeps the review's
    class: it is the newer judgement.
    """
    reviewed = [item for review in reviews for item in review.items]
    review_label = {item.path.stem: item.label for item in reviewed}
    kept = [item for item in labelled.items if item.path.stem not in review_label]
    changed = sum(
        review_label.get(item.path.stem, item.label) != item.label for item in labelled.items
    )
    skipped = labelled.skipped + [s for review in reviews for s in review.skipped]
    out = LabelledSet(labelled.folder, kept + reviewed, skipped, labelled.missing)
    return out, changed
