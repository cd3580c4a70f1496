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

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def _parse(line: str) -> dict[str, Any] | None:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) and isinstance(event.get("op"), str) else None


def read_events(path: Path) -> ReadResult:
    """All well-formed events of the log in file order; a missing log is an empty one."""
    if not path.exists():
        return ReadResult([])
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise LogError(f"cannot read the decision log {path}: {exc.strerror or exc}") from exc
    events: list[dict[str, Any]] = []
    bad: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        event = _parse(line)
        if event is None:
            bad.append(number)
        else:
            events.append(event)
    return ReadResult(events, bad)


class DecisionLog:
    """Appends events to the log file, one fsync'd block of lines per call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._checked_tail = False

    def _needs_newline(self) -> bool:
        # A crash can leave a last line without its newline; ours then start on a fresh line.
        try:
            with self.path.open("rb") as f:
                f.seek(0, os.SEEK_END)
                if f.tell() == 0:
                    return False
                f.seek(-1, os.SEEK_END)
                return f.read(1) != b"\n"
        except FileNotFoundError:
            return False

    def append(self, events: Iterable[dict[str, Any]]) -> None:
        """Write the events as one block (a bulk decision is one write and one fsync)."""
        stamp = now_iso()
        lines = [json.dumps({**e, "at": e.get("at", stamp)}, ensure_ascii=False) for e in events]
        if not lines:
            return
        text = "\n".join(lines) + "\n"
        try:
            if not self._checked_tail:
                text = ("\n" if self._needs_newline() else "") + text
            with self.path.open("a", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise LogError(
                f"cannot write the decision log {self.path}: {exc.strerror or exc}"
            ) from exc
        self._checked_tail = True

    def close(self) -> None:
        """Nothing stays open between appends; kept so callers can say when they are done."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(read_events(self.path).events)
