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
    text = "".join(json_line(value) for value in values)
    if not text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as file:
        if _ends_torn(file):
            text = "\n" + text
        _write(file, text.encode("utf-8"))
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
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            value = _parse(line)
            if isinstance(value, dict) and (usable is None or usable(value)):
                result.values.append(value)
            else:
                result.bad_lines.append(number)
    return result


def _parse(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None
