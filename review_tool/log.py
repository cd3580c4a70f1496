"""The append-only decision log (`review_log.jsonl`): every decision is on disk before it is shown.

One JSON object per line. Lines are only ever appended, each flushed and fsync'd, so a window that
is closed, killed or loses power mid-review resumes with every decision made up to that key press.
A last line cut short by a crash is skipped (and counted), never fatal.

Events (all carry `op`, `kind` ("review" or "label") and `at`, ISO 8601 UTC):
- `decide`: `group` (undo unit), `image_id`, `from` (the set the file was in), `to` (the decision).
- `undo`:   `group` (the group it takes back).
- `apply`:  `image_id`, `from`, `to` (a file move that `apply` made, for the record).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filtering.files import append_jsonl, read_jsonl

LOG_NAME = "review_log.jsonl"


class LogError(Exception):
    """The log file cannot be read or written; the message names the file."""


@dataclass(frozen=True)
class ReadResult:
    """The events of a log and how many lines were not usable (with the line numbers)."""

    events: list[dict[str, Any]]
    bad_lines: list[int] = field(default_factory=list)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_events(path: Path) -> ReadResult:
    """All well-formed events of the log in file order; a missing log is an empty one."""
    try:
        lines = read_jsonl(path, lambda event: isinstance(event.get("op"), str))
    except OSError as exc:
        raise LogError(f"cannot read the decision log {path}: {exc.strerror or exc}") from exc
    return ReadResult(lines.values, lines.bad_lines)


class DecisionLog:
    """Appends events to the log file, one fsync'd block of lines per call."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, events: Iterable[dict[str, Any]]) -> None:
        """Write the events as one block (a bulk decision is one write and one fsync)."""
        stamp = now_iso()
        try:
            append_jsonl(self.path, ({**e, "at": e.get("at", stamp)} for e in events))
        except OSError as exc:
            raise LogError(
                f"cannot write the decision log {self.path}: {exc.strerror or exc}"
            ) from exc
