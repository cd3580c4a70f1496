"""The record of what happened to every raw image: `final/<model>/records.jsonl`.

Append-only JSON lines; the last line of an image ID wins. Paths in records (source, crop,
output) are relative to the data folder, so the folder can move as a whole. A run killed while
writing leaves at most one broken last line, which reading skips: that image is processed again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

RECORDS_NAME = "records.jsonl"

# Fates. Final ones end an image's way through the stages; CANDIDATE waits for the
# near-duplicate stage, which looks at all candidates of a model together.
CLEAN = "clean"
QUESTIONABLE = "questionable"
TO_LABEL = "to_label"
REJECTED = "rejected"
DUPLICATE = "duplicate"
CANDIDATE = "candidate"
PLACED = (CLEAN, QUESTIONABLE, TO_LABEL)

Record = dict[str, Any]


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


def load_records(path: Path) -> tuple[dict[str, Record], int]:
    """Records by image ID (last line wins) and the number of unreadable lines."""
    records: dict[str, Record] = {}
    bad = 0
    if not path.exists():
        return records, bad
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                record = json.loads(line)
                records[record["image_id"]] = record
            except (ValueError, KeyError, TypeError):
                bad += 1
    return records, bad


class RecordLog:
    """Appends records durably: each batch is on disk before the next one starts."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._end_broken_line()
        self._file = path.open("a", encoding="utf-8")

    def append(self, records: Iterable[Record]) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for record in records:
            record["processed_at"] = now
            self._file.write(json.dumps(record, sort_keys=True) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def _end_broken_line(self) -> None:
        """A line cut off by a kill must not swallow the next record appended after it."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with self.path.open("rb+") as raw:
            raw.seek(-1, os.SEEK_END)
            if raw.read(1) != b"\n":
                raw.write(b"\n")
