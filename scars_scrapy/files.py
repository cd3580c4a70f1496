"""The crawler's one atomic write: the bytes go to a temporary name, then one rename puts them in
place, so a killed crawl leaves the old file or the new, never half of one.

Filtering has the same rule in `filtering/files.py`; the crawler keeps its own because it is a
Scrapy project that runs without the filtering package on its path.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

PART_SUFFIX = ".part"


def part_name() -> str:
    """A temporary file name unique to this process and call; it starts with the process ID,
    so a later crawl can tell the parts of a killed one (see `dead_parts`)."""
    return f"{os.getpid()}-{uuid.uuid4().hex}{PART_SUFFIX}"


def write_bytes_atomic(path: Path, data: bytes, scratch: Path | None = None) -> None:
    """Write `data` to `path` through a temporary file in `scratch` (a folder on the same file
    system, kept apart so that no reader of `path`'s folder sees a part), by default next to it
    as a dot file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = (scratch / part_name()) if scratch else path.with_name(f".{part_name()}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def dead_parts(scratch: Path) -> list[Path]:
    """Temporary files in `scratch` left by crawls that were killed (their process is gone)."""
    parts = []
    for part in scratch.glob(f"*{PART_SUFFIX}"):
        pid = part.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            parts.append(part)
    return parts


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
