"""The append-only decision log (`review_log.jsonl`): every decision is on disk before it is shown.

This module is the log format's one owner: the events are written and read only here, as the
typed events below. One JSON object per line. Lines are only ever appended, each flushed and
fsync'd, so a window that is closed, killed or loses power mid-review resumes with every decision
made up to that key press. A last line cut short by a crash is skipped (and counted), never fatal;
so is a line that is JSON but not an event.

Events (all carry `op`, `kind` ("review" or "label"; none in logs older than label mode: review)
and `at`, ISO 8601 UTC):
- `decide`: `group` (undo unit), `image_id`, `from` (the set the file was in), `to` (the decision),
  `size` and `mtime_ns` (the file decided). Logs written before the tool refused decisions on gone
  files may hold `"from": null` (decided while the file was gone), and none have `size`/`mtime_ns`.
- `undo`:   `group` (the group it takes back).
- `apply`:  `image_id`, `from`, `to`, `size`, `mtime_ns` (a file move that `apply` made).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filtering.files import append_jsonl, read_jsonl
from review_tool.stamps import FileStamp

LOG_NAME = "review_log.jsonl"

# The kinds of decision: review decisions move files between sets, label decisions copy crops.
REVIEW = "review"
LABEL = "label"


class LogError(Exception):
    """The log file cannot be read or written; the message names the file."""


@dataclass(frozen=True)
class DecideEvent:
    kind: str
    group: int
    image_id: str
    source: str | None  # the set the file was in; None only in old logs (the file was gone)
    target: str
    stamp: FileStamp | None = None  # None in old logs


@dataclass(frozen=True)
class UndoEvent:
    kind: str
    group: int


@dataclass(frozen=True)
class ApplyEvent:
    kind: str
    image_id: str
    source: str
    target: str
    stamp: FileStamp | None = None


Event = DecideEvent | UndoEvent | ApplyEvent


@dataclass(frozen=True)
class ReadResult:
    """The events of a log and the line numbers of the lines that are no event."""

    events: list[Event]
    bad_lines: list[int] = field(default_factory=list)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_json(event: Event) -> dict[str, Any]:
    if isinstance(event, UndoEvent):
        return {"op": "undo", "kind": event.kind, "group": event.group}
    line: dict[str, Any] = {
        "op": "decide" if isinstance(event, DecideEvent) else "apply",
        "kind": event.kind,
        "image_id": event.image_id,
        "from": event.source,
        "to": event.target,
    }
    if isinstance(event, DecideEvent):
        line["group"] = event.group
    if event.stamp is not None:
        line |= {"size": event.stamp.size, "mtime_ns": event.stamp.mtime_ns}
    return line


def _text(line: dict[str, Any], key: str) -> str | None:
    value = line.get(key)
    return value if isinstance(value, str) else None


def _group(line: dict[str, Any]) -> int | None:
    group = line.get("group")
    return group if isinstance(group, int) and not isinstance(group, bool) else None


def _stamp(line: dict[str, Any]) -> FileStamp | None:
    size, mtime = line.get("size"), line.get("mtime_ns")
    if isinstance(size, int) and isinstance(mtime, int):
        return FileStamp(size, mtime)
    return None


def parse_event(line: dict[str, Any]) -> Event | None:
    """The event a log line holds, None when it holds none (a line of another format)."""
    op, kind, group = line.get("op"), _text(line, "kind") or REVIEW, _group(line)
    image_id, source, target = _text(line, "image_id"), _text(line, "from"), _text(line, "to")
    if op == "undo" and group is not None:
        return UndoEvent(kind, group)
    if image_id is None or target is None:
        return None
    if op == "decide" and group is not None:
        return DecideEvent(kind, group, image_id, source, target, _stamp(line))
    if op == "apply" and source is not None:
        return ApplyEvent(kind, image_id, source, target, _stamp(line))
    return None


def read_events(path: Path) -> ReadResult:
    """All events of the log in file order; a missing log is an empty one."""
    try:
        lines = read_jsonl(path, lambda line: parse_event(line) is not None)
    except OSError as exc:
        raise LogError(f"cannot read the decision log {path}: {exc.strerror or exc}") from exc
    events = [event for event in map(parse_event, lines.values) if event is not None]
    return ReadResult(events, lines.bad_lines)


class DecisionLog:
    """Appends events to the log file, one fsync'd block of lines per call."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, events: Iterable[Event]) -> None:
        """Write the events as one block (a bulk decision is one write and one fsync)."""
        stamp = now_iso()
        try:
            append_jsonl(self.path, ({**to_json(e), "at": stamp} for e in events))
        except OSError as exc:
            raise LogError(
                f"cannot write the decision log {self.path}: {exc.strerror or exc}"
            ) from exc
