"""The model folder the tool reviews: `data/final/<model>/{clean,questionable,rejected,to_label}/`.

Scanning is cheap (one `os.scandir` per set) so the window can rescan every few seconds and notice
files that another program added, moved or removed while it is open.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from review_tool.decisions import CLEAN, QUESTIONABLE, REJECTED, TO_LABEL

if TYPE_CHECKING:
    from review_tool.moves import Move

ALL_SETS: tuple[str, ...] = (CLEAN, QUESTIONABLE, REJECTED, TO_LABEL)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
RECORDS_NAME = "records.jsonl"


class FolderError(Exception):
    """The folder cannot be reviewed; the message says what is wrong with which path."""


@dataclass
class Scan:
    """Where each image is: image_id -> set, plus ids found in more than one set."""

    locations: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # image_id -> file name
    duplicates: dict[str, list[str]] = field(default_factory=dict)


def check_folder(folder: Path, sets: tuple[str, ...]) -> None:
    """Raise FolderError with a clear message unless `folder` looks like a model folder."""
    if not folder.exists():
        raise FolderError(f"folder not found: {folder}")
    if not folder.is_dir():
        raise FolderError(f"not a folder: {folder}")
    if not any((folder / s).is_dir() for s in ALL_SETS):
        names = ", ".join(f"{s}/" for s in sets)
        raise FolderError(
            f"{folder} has none of {names}: is it a data/final/<model> folder written by filtering?"
        )


def _list_set(directory: Path) -> list[str]:
    try:
        with os.scandir(directory) as entries:
            return [
                e.name
                for e in entries
                if e.name.lower().endswith(IMAGE_SUFFIXES) and not e.name.startswith(".")
            ]
    except (FileNotFoundError, NotADirectoryError):
        return []


def scan(folder: Path, sets: tuple[str, ...]) -> Scan:
    """Every image file in the given sets; the first set in `sets` wins for an id found twice."""
    result = Scan()
    for set_name in sets:
        for name in sorted(_list_set(folder / set_name)):
            image_id = Path(name).stem
            if image_id in result.locations:
                result.duplicates.setdefault(image_id, [result.locations[image_id]]).append(
                    set_name
                )
                continue
            result.locations[image_id] = set_name
            result.files[image_id] = name
    return result


@dataclass(frozen=True)
class Records:
    """The filtering records by image_id (the last line for an id wins) and unusable lines."""

    by_id: dict[str, dict[str, Any]]
    bad_lines: int = 0
    missing: bool = False


def load_records(folder: Path) -> Records:
    path = folder / RECORDS_NAME
    if not path.exists():
        return Records({}, missing=True)
    by_id: dict[str, dict[str, Any]] = {}
    bad = 0
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if isinstance(record, dict) and isinstance(record.get("image_id"), str):
                by_id[record["image_id"]] = record
            else:
                bad += 1
    return Records(by_id, bad)


def record_moves(folder: Path, records: Records, moved: list[Move]) -> None:
    """Append each moved image's filtering record with its new set and path, so that
    `records.jsonl` (the last line of an id wins) and filtering's totals follow the review."""
    if records.missing:
        return
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    lines = []
    for move in moved:
        record = records.by_id.get(move.image_id)
        if record is None:
            continue
        # Paths in the records are relative to the data folder: final/<model>/<set>/<name>.
        old = record.get("output")
        sets = Path(str(old)).parent.parent if old else Path("final", folder.name)
        updated = record | {
            "fate": move.target,
            "stage": "review",
            "reason": f"moved_to_{move.target}",
            "output": (sets / move.target / move.name).as_posix(),
            "reviewed_at": now,
        }
        records.by_id[move.image_id] = updated
        lines.append(json.dumps(updated, ensure_ascii=False) + "\n")
    if lines:
        with (folder / RECORDS_NAME).open("a", encoding="utf-8") as f:
            f.write("".join(lines))
            f.flush()
            os.fsync(f.fileno())


def _conf(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "-"


def describe_record(record: dict[str, Any] | None) -> str:
    """One line of scores for the window: detector, classifier and the filtering's reason."""
    if record is None:
        return "no filtering record for this image"
    detector = (
        f"detector {record.get('detector_class') or '-'} {_conf(record.get('detector_conf'))}"
    )
    label = record.get("classifier_label") or "-"
    classifier = f"classifier {label} {_conf(record.get('classifier_conf'))}"
    reason = f"reason {record.get('reason') or '-'}"
    return f"{detector}   ·   {classifier}   ·   {reason}"
