"""Writing files so that a kill at any moment loses nothing: the project's one atomic write and
its one JSON-lines append.

- `write_atomic`: the content goes to a temporary name next to the target (`.<name>.partial`),
  then is renamed over the target, so a reader (or a run after a kill) sees the old file or the
  new, never half. Not fsync'd: everything written this way can be made again from the records,
  and an fsync per crop would slow the filtering down.
- `append_jsonl`: one block of lines per call, flushed and fsync'd before it returns. A run killed
  mid-write leaves a last line without its newline; the next append ends that line first, so the
  torn line stays one bad line (readers skip and count it) instead of swallowing the next record.
- `read_jsonl`: the objects of such a file and the count of lines that are not one.
- `scratch_folder`: a folder for the intermediate files of one atomic write, under a name fixed by
  its target, so that what a killed run left there is cleared by the next write, not piled up.
- `set_aside_bad_lines`: moves those lines out, byte for byte, to a file of their own, so that
  a torn line is reported once rather than by every later reader (`records.set_aside_unreadable`).

The crawler keeps its own (`scars_scrapy/files.py`, and the manifest's append): it is a Scrapy
project that runs on its own, without the filtering package on its path, and must not depend on it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def partial_path(path: Path) -> Path:
    """Where `write_atomic` writes before the rename; dot files are skipped by every lister."""
    return path.with_name(f".{path.name}.partial")


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Have `write` fill a temporary file, then put it in place of `path` in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(path)
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


@contextlib.contextmanager
def scratch_folder(partial: Path) -> Iterator[Path]:
    """An empty folder `<partial>.work` beside `write_atomic`'s temporary file, removed after. A
    folder of that name left by a killed run is removed first: it belongs to no one else, since
    two writes of one target would share its temporary file anyway."""
    folder = partial.with_name(partial.name + ".work")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda partial: partial.write_text(text, encoding="utf-8"))


def json_line(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False) + "\n"


def append_jsonl(path: Path, values: Iterable[Any]) -> None:
    """Append one JSON line per value as one durable write (nothing when there are none)."""
    append_lines(path, "".join(json_line(value) for value in values).encode("utf-8"))


def append_lines(path: Path, data: bytes) -> None:
    """Append `data` (whole lines) as one write, flushed and fsync'd; a torn last line already
    there is ended first, so that it stays one line of its own."""
    if not data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as file:
        if _ends_torn(file):
            data = b"\n" + data
        _write(file, data)
        file.flush()
        os.fsync(file.fileno())


def _ends_torn(file: Any) -> bool:
    """The file's last line lacks its newline (a write cut short by a kill)."""
    size = file.seek(0, os.SEEK_END)
    if size == 0:
        return False
    file.seek(size - 1)
    return bool(file.read(1) != b"\n")


def _write(file: Any, data: bytes) -> None:
    file.write(data)  # in append mode the data goes to the end, wherever the reads left off


@dataclass
class JsonLines:
    """The JSON objects of a lines file in file order, and the numbers of the unusable lines."""

    values: list[dict[str, Any]] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)


def read_jsonl(path: Path, usable: Callable[[dict[str, Any]], bool] | None = None) -> JsonLines:
    """Every line that holds a JSON object `usable` accepts; blank lines are no lines.

    A missing file is an empty one. Bytes cut mid-character by a kill do not stop the reading."""
    result = JsonLines()
    if not path.exists():
        return result
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            value = _value(line, usable)
            if value is not None:
                result.values.append(value)
            elif not _blank(line):
                result.bad_lines.append(number)
    return result


def set_aside_bad_lines(
    path: Path, aside: Path, usable: Callable[[dict[str, Any]], bool] | None = None
) -> int:
    """Move the lines of `path` that `read_jsonl` counts as bad to the end of `aside`, byte for
    byte, one per line; every other line of `path` stays byte for byte. Returns how many moved.

    The caller keeps other writers of `path` out meanwhile (a line appended during the rewrite
    would be lost with the old file). `aside` is written and synced first, then `path` is
    replaced in one rename: a kill in between leaves a line in both files, never in neither."""
    if not path.exists():
        return 0
    with path.open("rb") as lines:
        bad = [line for line in lines if _value(line, usable) is None and not _blank(line)]
    if not bad:
        return 0
    append_lines(aside, b"".join(line if line.endswith(b"\n") else line + b"\n" for line in bad))
    write_atomic(path, lambda partial: _copy_good_lines(path, partial, usable))
    return len(bad)


def _copy_good_lines(
    source: Path, target: Path, usable: Callable[[dict[str, Any]], bool] | None
) -> None:
    with source.open("rb") as lines, target.open("wb") as kept:
        for line in lines:
            if _value(line, usable) is not None or _blank(line):
                kept.write(line)
        kept.flush()
        os.fsync(kept.fileno())  # the records themselves: on disk before the rename


def _value(line: bytes, usable: Callable[[dict[str, Any]], bool] | None) -> dict[str, Any] | None:
    """The JSON object `line` holds if `usable` takes it, else None."""
    value = _parse(line.decode("utf-8", errors="replace"))
    if isinstance(value, dict) and (usable is None or usable(value)):
        return value
    return None


def _blank(line: bytes) -> bool:
    return not line.decode("utf-8", errors="replace").strip()


def _parse(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None
