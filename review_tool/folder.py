"""The model folder the tool reviews: `data/final/<model>/{clean,questionable,rejected,to_label}/`.

Scanning is cheap (one `os.scandir` per set) so the window can rescan every few seconds and notice
files that another program added, moved or removed while it is open.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filtering.classes import NOT_FRONT
from filtering.records import (
    RECORDS_NAME,
    SETS,
    Records,
    append_records,
    is_image_name,
    read_records,
    rejected_as_not_front,
    reviewed,
)
from review_tool.moves import Move

# Label mode's extra set NOT_FRONT: the crops the classifier rejected. They are not in the model
# folder (filtering keeps no copy of a rejected crop) but in `data/crops/<model>/`, and labelling
# one (a copy into the labels) is how a wrong rejection teaches the next training.


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
        raise FolderError(f"folder not found: {folder}{_hint(folder)}")
    if not folder.is_dir():
        raise FolderError(f"not a folder: {folder}")
    if not any((folder / s).is_dir() for s in SETS):
        names = ", ".join(f"{s}/" for s in sets)
        raise FolderError(
            f"{folder} has none of {names}: is it a data/final/<model> folder written by filtering?"
        )


def _hint(folder: Path) -> str:
    """A model's name given where its folder was meant: name the folder, if it is there."""
    meant = Path("data", "final", folder.name)
    if len(folder.parts) == 1 and meant.is_dir():
        return f" (the model's folder is {meant})"
    return ""


def _list_set(directory: Path) -> list[str]:
    try:
        with os.scandir(directory) as entries:
            return [e.name for e in entries if is_image_name(e.name)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def set_folder(folder: Path, set_name: str) -> Path:
    """Where a set's files are: `<folder>/<set>`, or for NOT_FRONT `data/crops/<model>`."""
    if set_name == NOT_FRONT:
        return folder.parent.parent / "crops" / folder.name
    return folder / set_name


def _names(folder: Path, set_name: str, records: Records | None) -> list[str]:
    names = _list_set(set_folder(folder, set_name))
    if set_name != NOT_FRONT:
        return names
    by_id = records.by_id if records is not None else {}
    return [n for n in names if rejected_as_not_front(by_id.get(Path(n).stem))]


def scan(folder: Path, sets: tuple[str, ...], records: Records | None = None) -> Scan:
    """Every image file in the given sets; the first set in `sets` wins for an id found twice.
    NOT_FRONT lists the crops whose record (in `records`) says the classifier rejected them."""
    result = Scan()
    for set_name in sets:
        for name in sorted(_names(folder, set_name, records)):
            image_id = Path(name).stem
            if image_id in result.locations:
                result.duplicates.setdefault(image_id, [result.locations[image_id]]).append(
                    set_name
                )
                continue
            result.locations[image_id] = set_name
            result.files[image_id] = name
    return result


def duplicate_warnings(found: Scan) -> list[str]:
    """One line per image found in more than one set: only the first is shown and moved."""
    return [
        f"{image_id} is in {' and '.join(f'{s}/' for s in sets)}: "
        f"the one in {sets[0]}/ is shown, the other is left alone"
        for image_id, sets in sorted(found.duplicates.items())
    ]


def read_folder_records(folder: Path) -> Records:
    """The filtering's records of the model folder under review."""
    return read_records(folder / RECORDS_NAME)


def record_moves(folder: Path, records: Records, moved: list[Move]) -> None:
    """Append each moved image's filtering record with its new set and path, so that
    `records.jsonl` (the last line of an id wins) and filtering's totals follow the review."""
    if records.missing:
        return
    updated = []
    for move in moved:
        record = records.by_id.get(move.image_id)
        if record is not None:
            updated.append(reviewed(record, move.target, move.name, folder.name))
    append_records(folder / RECORDS_NAME, updated, stamp="reviewed_at")
    records.by_id.update((record["image_id"], record) for record in updated)


def stray_records(records: Records, found: Scan) -> list[Move]:
    """Images whose file is in another set than their record says, as the moves that took them
    there: an apply killed between moving files and recording them, or a file manager's move."""
    strays = []
    for image_id, where in found.locations.items():
        record = records.by_id.get(image_id)
        fate = record.get("fate") if record is not None else None
        if where in SETS and fate in SETS and fate != where:
            strays.append(Move(image_id, found.files[image_id], str(fate), where))
    return strays


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
    doubts = record.get("doubts") or []
    doubted = f"   ·   doubts {', '.join(map(str, doubts))}" if doubts else ""
    return f"{detector}   ·   {classifier}   ·   {reason}{doubted}"
