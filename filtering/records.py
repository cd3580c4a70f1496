"""The record of what happened to every raw image: `final/<model>/records.jsonl`, and the names
of a model's folders. This module is the file's one reader and writer: filtering, the review tool
and the training all go through it.

JSON lines, appended; the last line of an image ID wins. Paths in records (source, crop,
output) are relative to the data folder, so the folder can move as a whole. A run killed while
writing leaves at most one torn last line: the next append ends it first (`files.append_jsonl`),
and reading skips and counts it, so the image it held is processed again and every reader can say
how many lines it could not use. The next filtering run moves such lines, byte for byte, to
`records.unreadable.txt` beside it (`set_aside_unreadable`) and says so once: later readers are
quiet, and nothing is lost.

Every write (an append, or that rewrite) holds `.records.jsonl.lock` beside the file: a review
applying moves while a run rewrites would otherwise append to the file the rename replaces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filtering.classes import NOT_FRONT
from filtering.files import append_jsonl, read_jsonl, set_aside_bad_lines
from filtering.locks import held

RECORDS_NAME = "records.jsonl"
# Where lines of records.jsonl that hold no record are moved, byte for byte, one per line.
UNREADABLE_NAME = "records.unreadable.txt"

# Fates. Final ones end an image's way through the stages; CANDIDATE waits for the
# near-duplicate stage, which looks at all candidates of a model together.
CLEAN = "clean"
QUESTIONABLE = "questionable"
TO_LABEL = "to_label"
REJECTED = "rejected"
DUPLICATE = "duplicate"
CANDIDATE = "candidate"
PLACED = (CLEAN, QUESTIONABLE, TO_LABEL)
# The folders under final/<model>/ that hold images (a review may move a crop into rejected/).
SETS: tuple[str, ...] = (CLEAN, QUESTIONABLE, REJECTED, TO_LABEL)
# The stage of the records the review tool appends for the moves a person applied.
REVIEW_STAGE = "review"
# The files every lister of raw images, crops and sets takes for images (dot files never:
# they are partial writes or the system's own).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")

Record = dict[str, Any]


def is_image_name(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(IMAGE_SUFFIXES)


def new_record(image_id: str, source: Path, data: Path) -> Record:
    return {
        "image_id": image_id,
        "source": relative(source, data),
        "fate": None,
        "stage": None,
        "reason": None,
        "box": None,
        "detector_class": None,
        "detector_conf": None,
        "classifier_label": None,
        "classifier_conf": None,
        "pixel_sha256": None,
        "phash": None,
        "duplicate_of": None,
        "crop": None,
        "output": None,
        "processed_at": None,
    }


def relative(path: Path, data: Path) -> str:
    return path.relative_to(data).as_posix()


@dataclass
class Records:
    """A model's records by image ID (the last line of an ID wins), how many lines could not be
    read, and whether the file was there at all."""

    by_id: dict[str, Record] = field(default_factory=dict)
    bad_lines: int = 0
    missing: bool = False


def skipped_lines(path: Path, count: int) -> str:
    """What a reader of the records tells the user about the lines it could not read."""
    return (
        f"{path}: skipped {count:,} unreadable line(s), likely cut short by a kill; "
        "an image they held is taken as its earlier line says, or processed again"
    )


def set_aside_message(path: Path, count: int) -> str:
    """What the run that moved the unreadable lines out tells the user, once."""
    return (
        f"{path}: {count:,} unreadable line(s), likely cut short by a kill, moved to "
        f"{path.with_name(UNREADABLE_NAME)} as they were; an image they held is taken as its "
        "earlier line says, or processed again"
    )


def _is_record(value: dict[str, Any]) -> bool:
    return isinstance(value.get("image_id"), str)


def read_records(path: Path) -> Records:
    lines = read_jsonl(path, _is_record)
    records = Records({}, len(lines.bad_lines), missing=not path.exists())
    for record in lines.values:
        records.by_id[record["image_id"]] = record
    return records


def load_records(path: Path) -> tuple[dict[str, Record], int]:
    """`read_records` for callers that want the records by ID and the count of bad lines."""
    read = read_records(path)
    return read.by_id, read.bad_lines


def append_records(path: Path, records: Iterable[Record], stamp: str = "processed_at") -> None:
    """Append the records durably, each stamped with the time under `stamp`."""
    now = now_iso()
    batch = list(records)
    for record in batch:
        record[stamp] = now
    if batch:
        with held(_write_lock(path)):
            append_jsonl(path, batch)


def set_aside_unreadable(path: Path) -> int:
    """Move the lines of the records file `path` that hold no record to `records.unreadable.txt`
    beside it (see `files.set_aside_bad_lines`); how many moved. Raises OSError if they cannot."""
    with held(_write_lock(path)):
        return set_aside_bad_lines(path, path.with_name(UNREADABLE_NAME), _is_record)


def _write_lock(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def rejected_as_not_front(record: Record | None) -> bool:
    """The classifier rejected the crop (`not_front:<label>`): its crop is in no set."""
    if record is None or record.get("fate") != REJECTED:
        return False
    return str(record.get("reason") or "").startswith(NOT_FRONT)


def reviewed(record: Record, target: str, name: str, model_folder: str) -> Record:
    """A copy of `record` after a review moved its file `name` into the set `target`."""
    # Paths in the records are relative to the data folder: final/<model>/<set>/<name>.
    old = record.get("output")
    sets = Path(str(old)).parent.parent if old else Path("final", model_folder)
    return record | {
        "fate": target,
        "stage": REVIEW_STAGE,
        "reason": f"moved_to_{target}",
        "output": (sets / target / name).as_posix(),
    }
