"""Which file a decision saw: where it was, and its size and modification time.

A decision is applied only to the file it was made on. Moving a file between sets (applying, or a
file manager) keeps its size and modification time; another file put under the same name (a new
crop of the same image, an edited copy) almost never has both the same. So a file that comes
back later gets an old decision only when it is the file that was decided, in the set it was in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileStamp:
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Sighting:
    """Where the log last saw an image's file (None: it was gone), and the file it saw there
    (None in logs written before the stamp was logged)."""

    set_name: str | None
    stamp: FileStamp | None = None


def stamp_of(path: Path) -> FileStamp | None:
    """The file's stamp, None when there is no file at `path`."""
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return FileStamp(status.st_size, status.st_mtime_ns)
